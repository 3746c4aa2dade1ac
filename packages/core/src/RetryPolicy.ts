/**
 * When and how long to wait before trying a failed request again.
 *
 * A retry policy is an ordinary `Schedule` over {@link RatingsError}: replace it
 * with any schedule you like. Whatever the schedule, only what a retry can cure
 * (RateLimited, ServerError, Transport) is retried, never 400, 401, 403 or 404:
 * the service and {@link retry} apply a policy to retryable errors only, so
 * `Schedule.recurs(5)` retries a 503 five times and a 404 not at all.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Schedule from "effect/Schedule"
import type { RatingsError } from "./RatingsError.js"
import { isRetryable } from "./RatingsError.js"

/**
 * A schedule deciding whether and when a failed rating request is retried.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryPolicy = Schedule.Schedule<unknown, RatingsError>

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The first delay. Default 250 ms. */
  readonly base?: Duration.DurationInput | undefined
  /** Growth of the delay per attempt. Default 2. */
  readonly factor?: number | undefined
  /** The longest delay computed by the backoff. Default 8 s. */
  readonly cap?: Duration.DurationInput | undefined
  /** How many retries at most. Default 8. */
  readonly retries?: number | undefined
  /**
   * A `Retry-After` longer than this is not waited for: the error is returned.
   * Default 60 s.
   */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
}

/**
 * Builds a policy: exponential backoff with jitter, capped, retrying only
 * RateLimited, ServerError and Transport, and waiting at least as long as a
 * `Retry-After` says.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): RetryPolicy => {
  const cap = Duration.decode(options.cap ?? "8 seconds")
  const maxRetryAfter = Duration.toMillis(options.maxRetryAfter ?? "60 seconds")
  return Schedule.exponential(options.base ?? "250 millis", options.factor ?? 2).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, cap)),
    Schedule.intersect(Schedule.recurs(options.retries ?? 8)),
    Schedule.intersect(Schedule.identity<RatingsError>()),
    Schedule.modifyDelay(([, error], delay) =>
      error._tag === "RateLimited" && error.retryAfterMillis !== undefined
        ? Duration.max(delay, Duration.millis(error.retryAfterMillis))
        : delay
    ),
    Schedule.whileInput((error: RatingsError) =>
      isRetryable(error) &&
      !(error._tag === "RateLimited" && error.retryAfterMillis !== undefined && error.retryAfterMillis > maxRetryAfter)
    )
  )
}

/**
 * The default policy: 250 ms, doubling, jittered, capped at 8 s, 8 retries.
 * Apple's real 429s carry no Retry-After and clear within 0.5–3.5 s, which the
 * first four retries cover.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultPolicy: RetryPolicy = make()

/**
 * Never retry.
 *
 * @since 0.1.0
 * @category constructors
 */
export const never: RetryPolicy = Schedule.stop

/**
 * Restricts a policy to the errors a retry can cure (see `isRetryable`): any
 * other error ends the schedule at once, whatever the policy says. The service
 * and {@link retry} apply every policy through it.
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@unrate/core"
 * import { Schedule } from "effect"
 *
 * // Retries a 503 five times, a 404 never.
 * export const policy = RetryPolicy.onlyRetryable(Schedule.recurs(5))
 * ```
 *
 * @since 0.2.0
 * @category combinators
 */
export const onlyRetryable = (policy: RetryPolicy): RetryPolicy => Schedule.whileInput(policy, isRetryable)

/**
 * Retries an effect failing with a {@link RatingsError} according to a policy
 * (the default one when none is given). Only RateLimited, ServerError and
 * Transport are retried, whatever the policy.
 *
 * @example
 * ```ts
 * import { AppleMusicRatings, RetryPolicy } from "@unrate/core"
 *
 * const program = AppleMusicRatings.deleteRating("library-songs", "i.7PJNN4mfXlD68R").pipe(
 *   RetryPolicy.retry(RetryPolicy.make({ retries: 3 }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry: {
  (policy?: RetryPolicy): <A, E extends RatingsError, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E extends RatingsError, R>(self: Effect.Effect<A, E, R>, policy?: RetryPolicy): Effect.Effect<A, E, R>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E extends RatingsError, R>(self: Effect.Effect<A, E, R>, policy?: RetryPolicy): Effect.Effect<A, E, R> =>
    Effect.retry(self, onlyRetryable(policy ?? defaultPolicy))
)
