/**
 * One requests-per-second limiter shared by every fiber of a client.
 *
 * Requests are spaced evenly at the current rate. A 429 seen by any fiber
 * lowers the rate for all of them, to a little under what the server answered
 * in the last second; a `Retry-After` also holds every new request back until
 * it has passed. Successes then raise the rate again gradually, up to the
 * configured ceiling.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"

/**
 * @since 0.1.0
 * @category models
 */
export interface RateLimiter {
  /** Waits for the next free slot. */
  readonly take: Effect.Effect<void>
  /** Reports a 429: every fiber slows down. */
  readonly rateLimited: (retryAfter: Option.Option<Duration.Duration>) => Effect.Effect<void>
  /** Reports an answered request: the rate recovers gradually. */
  readonly succeeded: Effect.Effect<void>
  /** The rate currently allowed, in requests per second (Infinity: unlimited). */
  readonly currentRate: Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The ceiling, in requests per second. `Infinity`: no limit until a 429 is seen. */
  readonly rate: number
  /** The floor a run of 429s cannot push the rate below. Default 1. */
  readonly minimum?: number | undefined
  /** The share of the last second's answered requests a 429 sets the rate to. Default 0.9. */
  readonly decrease?: number | undefined
  /** How much each success raises a lowered rate, as a share of it. Default 0.0002. */
  readonly increase?: number | undefined
}

interface State {
  readonly createdAt: number
  readonly rate: number
  readonly nextAt: number
  readonly lastDecreaseAt: number
  readonly windowStart: number
  readonly windowCount: number
  readonly previousWindowCount: number
}

/**
 * A limiter that never waits and ignores 429s.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unlimited: RateLimiter = {
  take: Effect.void,
  rateLimited: () => Effect.void,
  succeeded: Effect.void,
  currentRate: Effect.succeed(Infinity)
}

/**
 * Builds an adaptive limiter (see the module description).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<RateLimiter> =>
  Effect.gen(function*() {
    const ceiling = options.rate > 0 ? options.rate : Infinity
    const minimum = Math.min(options.minimum ?? 1, ceiling)
    const decrease = options.decrease ?? 0.9
    const increase = options.increase ?? 0.0002
    const now = yield* Clock.currentTimeMillis
    const state = yield* Ref.make<State>({
      createdAt: now,
      rate: ceiling,
      nextAt: now,
      lastDecreaseAt: -Infinity,
      windowStart: now,
      windowCount: 0,
      previousWindowCount: 0
    })

    const take = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.modify(state, (s): [number, State] => {
        const slot = Math.max(now, s.nextAt)
        return [slot - now, { ...s, nextAt: slot + (Number.isFinite(s.rate) ? 1000 / s.rate : 0) }]
      })).pipe(Effect.flatMap((wait) => wait > 0 ? Effect.sleep(Duration.millis(wait)) : Effect.void))

    // What the server answered in the last second: under a per-second limit, about the limit itself.
    const lowered = (s: State, now: number): number => {
      const age = now - s.createdAt
      const answered = age < 1000
        ? s.windowCount
        : s.previousWindowCount * Math.max(0, 1 - (now - s.windowStart) / 1000) + s.windowCount
      if (Number.isFinite(s.rate)) return Math.max(minimum, s.rate / 2, Math.min(s.rate, answered) * decrease)
      if (age >= 1000) return Math.max(minimum, answered * decrease)
      // Without a ceiling and with less than a second of history, only a rate measured over enough answers will do.
      return s.windowCount >= 20 ? Math.max(minimum, (s.windowCount * 1000 / Math.max(age, 1)) * decrease) : s.rate
    }

    const rateLimited = (retryAfter: Option.Option<Duration.Duration>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.update(state, (s) => {
          // One decrease per spell of 429s: the answers to requests already in flight say nothing new.
          const rate = now - s.lastDecreaseAt >= 1000 ? lowered(s, now) : s.rate
          const pause = Option.match(retryAfter, { onNone: () => now, onSome: (d) => now + Duration.toMillis(d) })
          return {
            ...s,
            rate,
            lastDecreaseAt: rate !== s.rate ? now : s.lastDecreaseAt,
            nextAt: Math.max(s.nextAt, pause)
          }
        }))

    const succeeded = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.update(state, (s) => {
        const rolled = now - s.windowStart >= 1000
        return {
          ...s,
          rate: Number.isFinite(s.rate) && s.rate < ceiling ? Math.min(ceiling, s.rate * (1 + increase)) : s.rate,
          windowStart: rolled ? now : s.windowStart,
          windowCount: rolled ? 1 : s.windowCount + 1,
          previousWindowCount: rolled ? (now - s.windowStart >= 2000 ? 0 : s.windowCount) : s.previousWindowCount
        }
      }))

    return {
      take,
      rateLimited,
      succeeded,
      currentRate: Effect.map(Ref.get(state), (s) => s.rate)
    }
  })

/**
 * A limiter that replaces the client's own for the effects it wraps (see
 * {@link withLimiter}); the batch engine uses it to apply its `rate` option.
 *
 * @since 0.1.0
 * @category fiber refs
 */
export const currentOverride: FiberRef.FiberRef<Option.Option<RateLimiter>> = FiberRef.unsafeMake(
  Option.none<RateLimiter>()
)

/**
 * Runs an effect with every rating request in it paced by the given limiter
 * instead of the client's own.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withLimiter: {
  (limiter: RateLimiter): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, limiter: RateLimiter): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, limiter: RateLimiter): Effect.Effect<A, E, R> =>
    Effect.locally(self, currentOverride, Option.some(limiter))
)
