import { it } from "@effect/vitest"
import { InMemoryRatings } from "@unrate/core"
import { Emulator } from "@unrate/emulator"
import { NodeAppleMusic } from "@unrate/platform"
import { Effect, Layer, Redacted } from "effect"
import { ratingsSuite } from "./ratingsSuite.js"

ratingsSuite("in-memory layer", it, () => InMemoryRatings.layer())

ratingsSuite("Node HTTP layer over the emulator", it, () =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const emulator = yield* Emulator.make()
    return Layer.merge(
      NodeAppleMusic.layer({
        baseUrl: emulator.url,
        developerToken: Redacted.make(emulator.developerToken),
        userToken: Redacted.make(emulator.userToken),
        retry: InMemoryRatings.immediateRetry,
        rate: Infinity
      }),
      Layer.succeed(InMemoryRatings.InMemoryRatings, emulator.store)
    )
  })))
