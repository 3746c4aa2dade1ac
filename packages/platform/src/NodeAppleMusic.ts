/**
 * The service on Node: the HttpClient layer over undici, and the file system
 * for keys and credentials.
 *
 * @example
 * ```ts
 * import { AppleMusicRatings } from "@unrate/core"
 * import { NodeAppleMusic } from "@unrate/platform"
 * import { Effect } from "effect"
 *
 * // Run with NodeRuntime.runMain(main): reads the tokens as the `unrate` command does.
 * export const main = AppleMusicRatings.deleteRating("library-songs", "i.7PJNN4mfXlD68R").pipe(
 *   Effect.provide(NodeAppleMusic.layerEnvironment())
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as AppleMusicRatings from "@unrate/core/AppleMusicRatings"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AppleMusicClient from "./AppleMusicClient.js"
import type * as AppleMusicConfig from "./AppleMusicConfig.js"
import * as UndiciClient from "./internal/undiciClient.js"
import { Agent } from "./internal/undiciParts.js"

/**
 * The service with the given options over Node's undici HttpClient.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: AppleMusicClient.Options
): Layer.Layer<AppleMusicRatings.AppleMusicRatings, AppleMusicConfig.ConfigurationError> =>
  AppleMusicClient.layer({ ...options, timeout: Duration.infinity }).pipe(
    Layer.provide(undiciClient(options.timeout))
  )

/**
 * An `HttpClient` straight over an undici agent with the attempt timeout built
 * in: connecting, the time to the answer's headers, and between chunks of its
 * body, each at most `timeout`.
 */
const undiciClient = (timeout: Duration.DurationInput | undefined) => {
  const limit = Duration.decode(timeout ?? AppleMusicClient.defaultTimeout)
  const millis = Duration.isFinite(limit) ? Math.max(1, Duration.toMillis(limit)) : 0
  return Layer.scoped(
    HttpClient.HttpClient,
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => new Agent({ connect: { timeout: millis } })),
        (agent) => Effect.promise(() => agent.destroy())
      ),
      (agent) => UndiciClient.make(agent, millis)
    )
  )
}

/**
 * The service over Node's undici HttpClient, its options given as `Config`
 * values (see `AppleMusicClient.layerConfig`); fails with a `ConfigError`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<AppleMusicClient.Options>
): Layer.Layer<AppleMusicRatings.AppleMusicRatings, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(options), (resolved) =>
    layer(resolved).pipe(
      Layer.catchAll((error) => Layer.fail(ConfigError.InvalidData([error.setting], error.reason)))
    )))

/**
 * The service configured as the `unrate` command is, over Node's undici
 * HttpClient: `APPLE_MUSIC_*` settings, the key file and the credentials file
 * (see `AppleMusicConfig`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerEnvironment = (
  options?: Omit<AppleMusicClient.Options, "developerToken" | "userToken" | "baseUrl">
): Layer.Layer<AppleMusicRatings.AppleMusicRatings, AppleMusicConfig.ConfigurationError> =>
  AppleMusicClient.layerEnvironment({ ...options, timeout: Duration.infinity }).pipe(
    Layer.provide(Layer.merge(undiciClient(options?.timeout), NodeFileSystem.layer))
  )
