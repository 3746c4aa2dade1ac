import { NodeRuntime } from "@effect/platform-node"
import { AppleMusicRatings, RetryPolicy } from "@unrate/core"
import { NodeAppleMusic } from "@unrate/platform"
import { Config, Effect } from "effect"

// The settings are `Config` values: the environment here, any ConfigProvider you install.
const RatingsLive = NodeAppleMusic.layerConfig({
  developerToken: Config.redacted("APPLE_MUSIC_DEVELOPER_TOKEN"),
  userToken: Config.redacted("APPLE_MUSIC_USER_TOKEN"),
  retry: Config.succeed(RetryPolicy.make({ retries: 5, cap: "10 seconds" }))
})

const program = Effect.gen(function*() {
  yield* AppleMusicRatings.deleteRating("library-songs", "i.7PJNN4mfXlD68R")
  yield* Effect.log("rating deleted")
}).pipe(
  Effect.catchTag("NotFound", () => Effect.log("nothing to delete")),
  Effect.provide(RatingsLive)
)

NodeRuntime.runMain(program)
