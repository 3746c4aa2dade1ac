/**
 * One requests-per-second limiter shared by every fiber of a client.
 *
 * Requests are spaced evenly at the current rate. A 429 seen by any fiber
 * lowers the rate for all of them and pauses new requests briefly; successes
 * then raise it again gradually, up to the configured ceiling.
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
  /** The ceiling, in requests per second. `Infinity` until a 429 is seen. */
  readonly rate: number
  /** The floor a run of 429s cannot push the rate below. Default 1. */
  readonly minimum?: number | undefined
  /** How much one 429 lowers the rate. Default 0.8 (to 80%). */
  readonly decrease?: number | undefined
  /** How much each success raises the rate, as a share of it. Default 0.002. */
  readonly increase?: number | undefined
  /** How long new requests pause after a 429 without Retry-After. Default 250 ms. */
  readonly pause?: Duration.DurationInput | undefined
}

interface State {
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
    const decrease = options.decrease ?? 0.8
    const increase = options.increase ?? 0.002
    const pause = Duration.toMillis(options.pause ?? "250 millis")
    const now = yield* Clock.currentTimeMillis
    const state = yield* Ref.make<State>({
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
        const rolled = now - s.windowStart >= 1000
        return [slot - now, {
          ...s,
          nextAt: slot + (Number.isFinite(s.rate) ? 1000 / s.rate : 0),
          windowStart: rolled ? now : s.windowStart,
          windowCount: rolled ? 1 : s.windowCount + 1,
          previousWindowCount: rolled ? s.windowCount : s.previousWindowCount
        }]
      })).pipe(Effect.flatMap((wait) => wait > 0 ? Effect.sleep(Duration.millis(wait)) : Effect.void))

    const rateLimited = (retryAfter: Option.Option<Duration.Duration>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.update(state, (s) => {
          const wait = Option.match(retryAfter, { onNone: () => pause, onSome: Duration.toMillis })
          const observed = Math.max(s.windowCount, s.previousWindowCount, minimum)
          const base = Number.isFinite(s.rate) ? s.rate : observed
          // One decrease per spell of 429s: the answers to requests already in flight say nothing new.
          const settled = now - s.lastDecreaseAt >= Math.max(1000, 2000 / base)
          return {
            ...s,
            rate: settled ? Math.max(minimum, base * decrease) : s.rate,
            lastDecreaseAt: settled ? now : s.lastDecreaseAt,
            nextAt: Math.max(s.nextAt, now + wait)
          }
        }))

    const succeeded = Ref.update(
      state,
      (s) =>
        Number.isFinite(s.rate) && s.rate < ceiling ? { ...s, rate: Math.min(ceiling, s.rate * (1 + increase)) } : s
    )

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
