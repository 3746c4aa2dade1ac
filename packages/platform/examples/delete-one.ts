import { NodeRuntime } from "@effect/platform-node"
import { AppleMusicRatings, RetryPolicy } from "@unrate/core"
import { NodeAppleMusic } from "@unrate/platform"
import { Effect } from "effect"

// Reads APPLE_MUSIC_DEVELOPER_TOKEN (or signing material) and APPLE_MUSIC_USER_TOKEN.
const program = Effect.gen(function*() {
  yield* AppleMusicRatings.deleteRating("library-songs", "i.7PJNN4mfXlD68R")
  yield* Effect.log("rating deleted")
}).pipe(
  Effect.catchTag("NotFound", () => Effect.log("nothing to delete")),
  Effect.provide(NodeAppleMusic.layerConfig({ retry: RetryPolicy.make({ retries: 5, cap: "10 seconds" }) }))
)

NodeRuntime.runMain(program)
