/**
 * One requests-per-second limiter shared by every fiber of a client.
 *
 * Requests are spaced evenly at the current rate, and a 429 seen by any fiber
 * slows all of them; a `Retry-After` also holds every new request back until
 * it has passed. How much depends on the last second's answers:
 *
 * - A limit was hit (429s are at least 5% of 100 or more answers, 5 of them at
 *   least): the rate drops to 90% of what the server answered, never below half
 *   in one go; later answers in the same second refine that drop, they never
 *   compound it. Answers then raise the rate gradually (0.02% of it each, at
 *   least 0.02 requests per second), up to the configured ceiling.
 * - A stray 429: the rate loses that 429's share of the answers, once a second
 *   at most, and answers bring it back quickly (0.2% each) to where it was.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"

/**
 * @since 0.1.0
 * @category models
 */
export interface RateLimiter {
  /** Waits for the next free slot. */
  readonly take: Effect.Effect<void>
  /**
   * Takes the next free slot without waiting for it: answers how many
   * milliseconds remain until it comes, for callers that wait themselves (and
   * may give up waiting). Optional: limiters without it are waited on with
   * `take`.
   *
   * @since 0.2.0
   */
  readonly reserve?: Effect.Effect<number> | undefined
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
  /** After a limit is hit, the share of the last second's answered requests the rate drops to. Default 0.9. */
  readonly decrease?: number | undefined
  /** How much each answer raises a lowered rate, as a share of it (at least 0.05 requests per second). Default 0.0002. */
  readonly increase?: number | undefined
  /** The share of 429s among the last second's answers (100 at least, 5 of them 429s) from which a limit counts as hit. Default 0.05. */
  readonly threshold?: number | undefined
}

interface State {
  /** When the first answer came: rates are measured from there. */
  readonly startedAt: number
  /** The rate before stray 429s trimmed it: answers bring it back there quickly. */
  readonly recoverTo: number
  readonly rate: number
  readonly nextAt: number
  /** When a stray 429 last took off its share, and when a hit limit last lowered the rate. */
  readonly lastTrimAt: number
  readonly lastDropAt: number
  /** The rate a spell of drops started from: later answers in the spell refine the drop, never compound it. */
  readonly dropFrom: number
  readonly windowStart: number
  readonly windowCount: number
  readonly previousWindowCount: number
  readonly windowLimited: number
  readonly previousWindowLimited: number
}

/** Answers in a window of one second that started at `windowStart`, and in the one before. */
const roll = (s: State, now: number): State => {
  if (s.startedAt === Infinity) return { ...s, startedAt: now, windowStart: now }
  if (now - s.windowStart < 1000) return s
  const adjacent = now - s.windowStart < 2000
  return {
    ...s,
    windowStart: now,
    windowCount: 0,
    windowLimited: 0,
    previousWindowCount: adjacent ? s.windowCount : 0,
    previousWindowLimited: adjacent ? s.windowLimited : 0
  }
}

/**
 * A count over the last second: this window, plus the part of the previous one
 * still inside it. In the limiter's first second, once 20 answers have come,
 * scaled up from the time it has run; before that, as counted.
 */
const lastSecond = (s: State, now: number, current: number, previous: number): number => {
  const age = now - s.startedAt
  if (age >= 1000) return previous * Math.max(0, 1 - (now - s.windowStart) / 1000) + current
  return s.windowCount + s.windowLimited >= 20 ? current * 1000 / Math.max(age, 1) : current
}

/** Each answer raises a lowered rate by at least this many requests per second. */
const minimumStep = 0.02

/** How much each answer raises a trimmed rate, as a share of it: at 100 answers a second, about 20% a second. */
const trimRecovery = 0.002

/**
 * A limiter that never waits and ignores 429s.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unlimited: RateLimiter = {
  take: Effect.void,
  reserve: Effect.succeed(0),
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
    const threshold = options.threshold ?? 0.05
    const now = yield* Clock.currentTimeMillis
    const state = yield* Ref.make<State>({
      startedAt: Infinity,
      rate: ceiling,
      recoverTo: ceiling,
      nextAt: now,
      lastTrimAt: -Infinity,
      lastDropAt: -Infinity,
      dropFrom: ceiling,
      windowStart: now,
      windowCount: 0,
      previousWindowCount: 0,
      windowLimited: 0,
      previousWindowLimited: 0
    })

    const reserve = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.modify(state, (s): [number, State] => {
        const slot = Math.max(now, s.nextAt)
        return [slot - now, { ...s, nextAt: slot + (Number.isFinite(s.rate) ? 1000 / s.rate : 0) }]
      }))
    const take = Effect.flatMap(reserve, (wait) => wait > 0 ? Effect.sleep(Duration.millis(wait)) : Effect.void)

    /** The rate after a 429, and whether a limit was hit (rather than a stray 429 seen). */
    const lowered = (s: State, now: number): { readonly rate: number; readonly limit: boolean } => {
      const answered = lastSecond(s, now, s.windowCount, s.previousWindowCount)
      const limited = lastSecond(s, now, s.windowLimited, s.previousWindowLimited)
      const share = limited / Math.max(1, limited + answered)
      const inSpell = now - s.lastDropAt < 1000
      // Without a ceiling the rate to lower is the one measured, and only enough answers measure it.
      const current = inSpell
        ? s.dropFrom
        : Number.isFinite(s.rate)
        ? s.rate
        : now - s.startedAt >= 1000 || s.windowCount >= 20
        ? answered + limited
        : Infinity
      if (!Number.isFinite(current)) return { rate: s.rate, limit: false }
      // A limit is hit when 429s are a real share of enough answers; a few early ones prove nothing.
      const hit = share >= threshold && limited >= 5 && limited + answered >= 100
      if (hit) return { rate: Math.max(minimum, current / 2, Math.min(current, answered) * decrease), limit: true }
      return { rate: Math.max(minimum, current * (1 - share)), limit: false }
    }

    const rateLimited = (retryAfter: Option.Option<Duration.Duration>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.update(state, (before) => {
          const rolled = roll(before, now)
          const s = { ...rolled, windowLimited: rolled.windowLimited + 1 }
          const next = lowered(s, now)
          const inSpell = now - s.lastDropAt < 1000
          // A stray 429 trims once a second at most; within a spell of drops, each answer refines the one drop.
          const allowed = next.limit ? true : now - s.lastTrimAt >= 1000 && !inSpell
          const rate = allowed && next.rate < s.rate ? next.rate : s.rate
          const dropped = next.limit && rate !== s.rate
          const pause = Option.match(retryAfter, { onNone: () => now, onSome: (d) => now + Duration.toMillis(d) })
          return {
            ...s,
            rate,
            recoverTo: dropped ? rate : s.recoverTo,
            lastTrimAt: rate !== s.rate && !next.limit ? now : s.lastTrimAt,
            lastDropAt: dropped && !inSpell ? now : s.lastDropAt,
            dropFrom: dropped && !inSpell ? s.rate : s.dropFrom,
            nextAt: Math.max(s.nextAt, pause)
          }
        }))

    const succeeded = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.update(state, (before) => {
        const s = roll(before, now)
        if (!Number.isFinite(s.rate) || s.rate >= ceiling) return { ...s, windowCount: s.windowCount + 1 }
        // Back quickly to where stray 429s trimmed from; beyond it (or after a limit was hit), gradually.
        const rate = s.rate < s.recoverTo
          ? Math.min(s.recoverTo, s.rate * (1 + trimRecovery) + minimumStep)
          : Math.min(ceiling, s.rate + Math.max(s.rate * increase, minimumStep))
        return { ...s, rate, recoverTo: Math.max(s.recoverTo, rate), windowCount: s.windowCount + 1 }
      }))

    return {
      take,
      reserve,
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
export const currentOverride: FiberRef.FiberRef<Option.Option<RateLimiter>> = globalValue(
  Symbol.for("@unrate/core/RateLimiter/currentOverride"),
  () => FiberRef.unsafeMake(Option.none<RateLimiter>())
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
