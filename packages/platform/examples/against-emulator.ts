import { NodeRuntime } from "@effect/platform-node"
import { AppleMusicRatings, Batch } from "@unrate/core"
import { Emulator } from "@unrate/emulator"
import { NodeAppleMusic } from "@unrate/platform"
import { Console, Effect, Redacted } from "effect"

// The Node layer pointed at a local emulator with a 100-song library, a quarter of it
// disliked, and 5% of requests failing with 503: nothing leaves this machine.
const program = Effect.gen(function*() {
  const emulator = yield* Emulator.make({
    library: [{ kind: "library-songs", size: 100, dislikes: 0.25 }],
    faults: { error503: 0.05 }
  })
  const client = NodeAppleMusic.layer({
    baseUrl: emulator.url,
    developerToken: Redacted.make(emulator.developerToken),
    userToken: Redacted.make(emulator.userToken)
  })
  const summary = yield* Batch.sweep("library-songs", { value: "dislike" }).pipe(Effect.provide(client))
  yield* Console.log(
    `${emulator.url}: scanned ${summary.scanned}, deleted ${summary.deleted}, retries ${summary.retries}`
  )
  const left = yield* AppleMusicRatings.getRatings("library-songs", (yield* emulator.store.ratings).map((r) => r.id))
    .pipe(Effect.provide(client))
  yield* Console.log(
    `ratings left: ${left.filter((rating) => rating.value === -1).length} dislikes, ${left.length} in all`
  )
}).pipe(Effect.scoped)

NodeRuntime.runMain(program)
