/**
 * One Apple developer team: its developer token, its base URL and the one
 * adaptive rate limiter every user's client of this runner shares. Apple
 * throttles per team, not per user, so every clean-up spends this budget.
 *
 * @since 0.3.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as AppleMusicRatings from "@unrate/core/AppleMusicRatings"
import * as RateLimiter from "@unrate/core/RateLimiter"
import type * as AppleMusicConfig from "@unrate/platform/AppleMusicConfig"
import type * as DeveloperToken from "@unrate/platform/DeveloperToken"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as internal from "./internal/team.js"

/**
 * @since 0.3.0
 * @category models
 */
export interface Options {
  /** Default `https://api.music.apple.com`; `http://` only for loopback hosts. */
  readonly baseUrl?: string | URL | undefined
  /** A ready developer token, or the material to sign (and re-sign) one. */
  readonly developerToken: Redacted.Redacted<string> | DeveloperToken.SigningMaterial
  /** The team's requests per second (every user together), used when no `limiter` is given. Default 20. */
  readonly rate?: number | undefined
  /** The team's limiter, when it is shared beyond this runner (see `TeamLimiter`). */
  readonly limiter?: RateLimiter.RateLimiter | undefined
  /** Retries of each request. Default `RetryPolicy.defaultPolicy`. */
  readonly retry?: AppleMusicRatings.PolicyOptions["retry"]
  /** How long one attempt may take. Default 30 s. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * @since 0.3.0
 * @category models
 */
export interface Service {
  /** The team's limiter. */
  readonly limiter: RateLimiter.RateLimiter
  /** A client for one user's token that paces with the team's limiter. */
  readonly ratingsFor: (
    userToken: Redacted.Redacted<string>
  ) => Effect.Effect<AppleMusicRatings.Service, AppleMusicConfig.ConfigurationError>
}

/**
 * @since 0.3.0
 * @category tags
 */
export class Team extends Context.Tag("@unrate/cluster/Team")<Team, Service>() {}

/**
 * The team over the HttpClient in context.
 *
 * @since 0.3.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Team, never, HttpClient.HttpClient> =>
  Layer.effect(Team, internal.make(options))

/**
 * The default team rate, in requests per second.
 *
 * @since 0.3.0
 * @category constants
 */
export const defaultRate: number = internal.defaultRate

/**
 * A limiter for a team whose requests all pass through this process.
 *
 * @since 0.3.0
 * @category constructors
 */
export const makeLimiter = (rate: number): Effect.Effect<RateLimiter.RateLimiter> => RateLimiter.make({ rate })
