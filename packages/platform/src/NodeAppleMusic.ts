/**
 * The service on Node: the HttpClient layer over undici, and the file system
 * for keys and credentials.
 *
 * @example
 * ```ts
 * import { AppleMusicRatings } from "@unrate/core"
 * import { NodeAppleMusic } from "@unrate/platform"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * AppleMusicRatings.deleteRating("library-songs", "i.7PJNN4mfXlD68R").pipe(
 *   Effect.provide(NodeAppleMusic.layerConfig()),
 *   NodeRuntime.runMain
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as AppleMusicRatings from "@unrate/core/AppleMusicRatings"
import * as Layer from "effect/Layer"
import * as AppleMusicClient from "./AppleMusicClient.js"
import type * as AppleMusicConfig from "./AppleMusicConfig.js"

/**
 * The service with the given options over Node's undici HttpClient.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: AppleMusicClient.Options
): Layer.Layer<AppleMusicRatings.AppleMusicRatings, AppleMusicConfig.ConfigurationError> =>
  AppleMusicClient.layer(options).pipe(Layer.provide(NodeHttpClient.layerUndici))

/**
 * The service configured from the environment over Node's undici HttpClient.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options?: Omit<AppleMusicClient.Options, "developerToken" | "userToken" | "baseUrl">
): Layer.Layer<AppleMusicRatings.AppleMusicRatings, AppleMusicConfig.ConfigurationError> =>
  AppleMusicClient.layerConfig(options).pipe(
    Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer))
  )
