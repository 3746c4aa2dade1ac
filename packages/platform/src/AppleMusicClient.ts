/**
 * The {@link AppleMusicRatings} service over `@effect/platform`'s HttpClient.
 *
 * Every request carries `Authorization: Bearer <developer token>`,
 * `Music-User-Token` and `Accept: application/json`; the id is one encoded path
 * segment; `l` is passed through. Statuses map to the tagged errors of
 * `@unrate/core/RatingsError`.
 *
 * @example
 * ```ts
 * import { AppleMusicClient } from "@unrate/platform"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Layer, Redacted } from "effect"
 *
 * const RatingsLive = AppleMusicClient.layer({
 *   developerToken: Redacted.make("eyJhbGciOiJFUzI1NiIs…"),
 *   userToken: Redacted.make("AkX…")
 * }).pipe(Layer.provide(NodeHttpClient.layerUndici))
 * ```
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as AppleMusicRatings from "@unrate/core/AppleMusicRatings"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as AppleMusicConfig from "./AppleMusicConfig.js"
import * as DeveloperToken from "./DeveloperToken.js"
import * as internal from "./internal/appleMusicClient.js"
import * as UndiciClient from "./internal/undiciClient.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends AppleMusicRatings.PolicyOptions {
  /** Default `https://api.music.apple.com`; `http://` only for loopback hosts. */
  readonly baseUrl?: string | URL | undefined
  /** A ready developer token, or the material to sign (and re-sign) one. */
  readonly developerToken: Redacted.Redacted<string> | DeveloperToken.SigningMaterial
  /** The music user token MusicKit gave the user. */
  readonly userToken: Redacted.Redacted<string>
  /**
   * How long one attempt may take before it fails as Transport (Timeout). Default 30 s.
   * `Duration.infinity` leaves timing out to the HttpClient (NodeAppleMusic does: undici
   * enforces the limit there, which costs nothing per request).
   */
  readonly timeout?: Duration.DurationInput | undefined
  /** Adapts the HttpClient (a proxy, extra headers, tracing). */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeout: Duration.Duration = Duration.seconds(30)

/**
 * Header names whose values are redacted wherever `@effect/platform` shows
 * headers (besides `authorization`, which Effect already hides).
 *
 * @since 0.1.0
 * @category constants
 */
export const redactedHeaderNames: ReadonlyArray<string> = internal.redactedHeaderNames

const toConfigurationError = (error: DeveloperToken.SigningError) =>
  new AppleMusicConfig.ConfigurationError({ setting: error.setting, reason: error.reason })

/**
 * Builds the service over the HttpClient in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<AppleMusicRatings.Service, AppleMusicConfig.ConfigurationError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const baseUrl = yield* Either.match(
      AppleMusicConfig.parseBaseUrl(options.baseUrl ?? AppleMusicConfig.defaultBaseUrl),
      {
        onLeft: Effect.fail,
        onRight: Effect.succeed
      }
    )
    const developerToken = Redacted.isRedacted(options.developerToken)
      ? DeveloperToken.fromToken(options.developerToken)
      : yield* Effect.mapError(DeveloperToken.fromSigningMaterial(options.developerToken), toConfigurationError)
    // Apple has no use for our trace ids: no traceparent header leaves the process.
    const given = yield* HttpClient.HttpClient
    const direct = UndiciClient.isDirect(given) && options.transformClient === undefined
    const client = direct ? given : HttpClient.withTracerPropagation(given, false)
    const backend = internal.makeBackend({
      client: options.transformClient === undefined ? client : options.transformClient(client),
      direct,
      baseUrl,
      developerToken: developerToken.get,
      userToken: options.userToken,
      timeout: Duration.decode(options.timeout ?? defaultTimeout)
    })
    return yield* AppleMusicRatings.make(backend, options)
  })

/**
 * A layer of the service over the HttpClient in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<AppleMusicRatings.AppleMusicRatings, AppleMusicConfig.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(AppleMusicRatings.AppleMusicRatings, make(options))

const toConfigError = (error: AppleMusicConfig.ConfigurationError): ConfigError.ConfigError =>
  ConfigError.InvalidData([error.setting], error.reason)

/**
 * A layer of the service whose options are `Config` values, so the
 * application decides where its settings come from; fails with a
 * `ConfigError` (a missing setting, a base URL that is not allowed, signing
 * material that cannot sign).
 *
 * @example
 * ```ts
 * import { AppleMusicClient } from "@unrate/platform"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Config, Layer } from "effect"
 *
 * const RatingsLive = AppleMusicClient.layerConfig({
 *   developerToken: Config.redacted("MY_APP_DEVELOPER_TOKEN"),
 *   userToken: Config.redacted("MY_APP_USER_TOKEN"),
 *   rate: Config.number("MY_APP_RATE").pipe(Config.withDefault(20))
 * }).pipe(Layer.provide(NodeHttpClient.layerUndici))
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<Options>
): Layer.Layer<AppleMusicRatings.AppleMusicRatings, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    AppleMusicRatings.AppleMusicRatings,
    Effect.flatMap(Config.unwrap(options), (resolved) => Effect.mapError(make(resolved), toConfigError))
  )

/**
 * The options the environment gives (see `AppleMusicConfig.load`): base URL,
 * developer token or signing material, user token or the credentials file.
 *
 * @since 0.2.0
 * @category constructors
 */
export const fromLoaded = (
  loaded: AppleMusicConfig.Loaded
): Pick<Options, "baseUrl" | "developerToken" | "userToken"> => ({
  baseUrl: loaded.baseUrl,
  userToken: loaded.userToken,
  developerToken: loaded.developerToken._tag === "Token" ? loaded.developerToken.token : loaded.developerToken.material
})

/**
 * A layer of the service configured as the `unrate` command is: from the
 * `APPLE_MUSIC_*` settings of the current `ConfigProvider` (the environment by
 * default), the key file and the credentials file (see `AppleMusicConfig`);
 * the options set what those do not.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerEnvironment = (
  options: Omit<Options, "developerToken" | "userToken" | "baseUrl"> = {}
): Layer.Layer<
  AppleMusicRatings.AppleMusicRatings,
  AppleMusicConfig.ConfigurationError,
  HttpClient.HttpClient | FileSystem.FileSystem
> =>
  Layer.effect(
    AppleMusicRatings.AppleMusicRatings,
    Effect.flatMap(AppleMusicConfig.load, (loaded) => make({ ...options, ...fromLoaded(loaded) }))
  )
