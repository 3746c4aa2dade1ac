/**
 * One requests-per-second limiter shared by every fiber of a client.
 *
 * Requests are spaced evenly at the current rate, and a 429 seen by any fiber
 * slows all of them; a `Retry-After` also holds every new request back until
 * it has passed. Slots are handed out at most a quarter second ahead: fibers
 * beyond that wait unbooked (each until about its turn), so a new rate applies
 * within a quarter second to every request not yet on its way.
 *
 * A probing limiter (an `initial` rate below the ceiling) finds the server's
 * limit instead of guessing it. Its states, and what moves it between them:
 *
 * - Starting: the rate is `initial`. Every answer without a 429 adds `probe`
 *   requests per second (0.8 by default): the rate more than doubles each
 *   second, like TCP's slow start, never past the ceiling nor past twice
 *   what was answered in the last second. When slots are handed out far ahead
 *   (many fibers waiting: up to 32 / rate seconds at concurrency 32), a rate
 *   set now is only sent that much later, so the step shrinks with that lag
 *   (1.25 times what was answered at 1.6 s ahead).
 * - A limit was hit (429s are at least 5% of 20 or more answers in the last
 *   second, and at least 2, or 5 once there are 100 answers): the rate drops
 *   to 90% of what the server answered, never below half in one go; later
 *   answers in the same second refine that drop, they never compound it. The
 *   limiter now follows a CUBIC curve around 97% of that limit W (at W itself,
 *   timing alone makes 429s): back there within about two seconds, slowly past
 *   it (never more than 1.1 times what was answered in the last second, unless
 *   more than 1.1 W was answered: then the limit rose), then faster and faster.
 *   The probing past W slows with the cube of the lag above 0.4 s.
 * - A 429 while probing at or past 97% of W (not enough for a hit): the limit
 *   is there again; it becomes the lowest of W, the trimmed rate and what was
 *   answered in the last second (only the trimmed rate once past 1.1 W), the
 *   rate goes to 97% of it, and CUBIC restarts from there (rather than
 *   recovering past W as after a stray 429).
 * - A stray 429 otherwise: the rate loses that 429's share of the answers
 *   (never more than half: a 429 before any other answer halves it), once a
 *   second at most, and answers bring it back quickly (0.2% each) to where it
 *   was.
 *
 * A fixed limiter (no `initial`, or `initial` at the ceiling) starts at the
 * ceiling and never probes: after a hit limit, answers raise the rate only
 * gradually (0.02% each) back towards the ceiling.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as MutableRef from "effect/MutableRef"
import * as Option from "effect/Option"
import { currentStop } from "./internal/limiterStop.js"

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
  /**
   * The highest rate allowed so far. Optional: limiters without it report
   * their current rate as the peak.
   *
   * @since 0.3.0
   */
  readonly peakRate?: Effect.Effect<number> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The ceiling, in requests per second. `Infinity`: no limit until a 429 is seen. */
  readonly rate: number
  /**
   * The rate to start at, probing upward from it while no 429 comes. Default:
   * the ceiling (a fixed limiter).
   *
   * @since 0.3.0
   */
  readonly initial?: number | undefined
  /**
   * While probing, how many requests per second each answer without a 429 adds
   * before the first limit is hit. Default 0.8.
   *
   * @since 0.3.0
   */
  readonly probe?: number | undefined
  /**
   * After a limit W is hit, the CUBIC curve's scale: the rate is `0.97 * W * (1 +
   * cubic * (t - K)^3)` t seconds after the drop (past K, smaller when slots are
   * handed out more than 0.4 s ahead). Default 0.01.
   *
   * @since 0.3.0
   */
  readonly cubic?: number | undefined
  /** The floor a run of 429s cannot push the rate below. Default 1. */
  readonly minimum?: number | undefined
  /** After a limit is hit, the share of the last second's answered requests the rate drops to. Default 0.9. */
  readonly decrease?: number | undefined
  /** How much each answer raises a lowered rate, as a share of it (at least 0.05 requests per second). Default 0.0002. */
  readonly increase?: number | undefined
  /** The share of 429s among the last second's answers (20 at least, 2 to 5 of them 429s) from which a limit counts as hit. Default 0.05. */
  readonly threshold?: number | undefined
  /**
   * How far ahead a slot may be handed out; a fiber that would wait longer
   * waits unbooked until about its turn, so a new rate reaches it. Default 250
   * milliseconds. `Infinity` hands every slot out at once (for a limiter whose
   * callers wait elsewhere, e.g. behind a remote call with a timeout).
   *
   * @since 0.3.0
   */
  readonly horizon?: Duration.DurationInput | undefined
}

interface State {
  /** When the first answer came: rates are measured from there. */
  readonly startedAt: number
  /** The rate before stray 429s trimmed it: answers bring it back there quickly. */
  readonly recoverTo: number
  readonly rate: number
  readonly peak: number
  readonly nextAt: number
  /** When a stray 429 last took off its share, and when a hit limit last lowered the rate. */
  readonly lastTrimAt: number
  readonly lastDropAt: number
  /** The rate a spell of drops started from: later answers in the spell refine the drop, never compound it. */
  readonly dropFrom: number
  /** The last limit hit (what the server answered per second then; undefined before the first), for CUBIC. */
  readonly limit: number | undefined
  /** Seconds from the last drop until CUBIC is back at `limit`. */
  readonly limitK: number
  /** The CUBIC scale of this spell: slower when slots are handed out far ahead, since 429s then come back late. */
  readonly limitCubic: number
  readonly windowStart: number
  readonly windowCount: number
  readonly previousWindowCount: number
  readonly windowLimited: number
  readonly previousWindowLimited: number
  /** Fibers waiting to be handed a slot (see `Options.horizon`). */
  readonly waiting: number
}

/**
 * A new state: `s` with `changes`. Copied field by field: V8 spreads an object
 * of this many fields through its generic path, some ten times slower, and
 * this runs on every request.
 */
const changed = (s: State, changes: Partial<State>): State =>
  Object.assign(
    {
      startedAt: s.startedAt,
      recoverTo: s.recoverTo,
      rate: s.rate,
      peak: s.peak,
      nextAt: s.nextAt,
      lastTrimAt: s.lastTrimAt,
      lastDropAt: s.lastDropAt,
      dropFrom: s.dropFrom,
      limit: s.limit,
      limitK: s.limitK,
      limitCubic: s.limitCubic,
      windowStart: s.windowStart,
      windowCount: s.windowCount,
      previousWindowCount: s.previousWindowCount,
      windowLimited: s.windowLimited,
      previousWindowLimited: s.previousWindowLimited,
      waiting: s.waiting
    } satisfies State,
    changes
  )

/** Answers in a window of one second that started at `windowStart`, and in the one before. */
const roll = (s: State, now: number): State => {
  if (s.startedAt === Infinity) return changed(s, { startedAt: now, windowStart: now })
  if (now - s.windowStart < 1000) return s
  const adjacent = now - s.windowStart < 2000
  return changed(s, {
    windowStart: now,
    windowCount: 0,
    windowLimited: 0,
    previousWindowCount: adjacent ? s.windowCount : 0,
    previousWindowLimited: adjacent ? s.windowLimited : 0
  })
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

/** After a limit was hit, the rate levels off at this share of it: at the limit itself, timing alone makes 429s. */
const plateau = 0.97

/**
 * Slots handed out up to this many seconds ahead do not slow CUBIC's probing
 * past the limit; beyond it, the probing slows with the cube of the lag, since
 * 429s come back that much later and the rate goes on climbing meanwhile.
 */
const lagFree = 0.4

/** Milliseconds ahead a slot may be handed out by default; a fiber that would wait longer waits first, unbooked. */
const defaultHorizon = 250

/** After a limit was hit, never more than this many times what was answered in the last second. */
const nearGrowth = 1.1

/** Once this many times the limit is answered in a second, the limit has risen: probing is as fast as before it. */
const risen = 1.1

/** Before the first limit, never more than this many times what was answered in the last second. */
const startGrowth = 2

/** Each answer raises a lowered rate by at least this many requests per second. */
const minimumStep = 0.02

/** How much each answer raises a trimmed rate, as a share of it: at 100 answers a second, about 20% a second. */
const trimRecovery = 0.002

/** A limit counts as hit only among this many answers in the last second (5% of them 429s, 2 at least, 5 at most). */
const minimumAnswers = 20

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
  currentRate: Effect.succeed(Infinity),
  peakRate: Effect.succeed(Infinity)
}

interface Settings {
  readonly ceiling: number
  readonly initial: number
  readonly probing: boolean
  readonly minimum: number
  readonly decrease: number
  readonly increase: number
  readonly probe: number
  readonly cubic: number
  readonly threshold: number
  readonly horizon: number
}

const settingsOf = (options: Options): Settings => {
  const ceiling = options.rate > 0 ? options.rate : Infinity
  const initial = options.initial !== undefined && options.initial > 0 ? Math.min(options.initial, ceiling) : ceiling
  return {
    ceiling,
    initial,
    probing: initial < ceiling,
    minimum: Math.min(options.minimum ?? 1, ceiling),
    decrease: options.decrease ?? 0.9,
    increase: options.increase ?? 0.0002,
    probe: options.probe ?? 0.8,
    cubic: options.cubic ?? 0.01,
    threshold: options.threshold ?? 0.05,
    horizon: options.horizon === undefined ? defaultHorizon : Duration.toMillis(options.horizon)
  }
}

/** The rate after a 429, whether a limit was hit (rather than a stray 429 seen), and what the server took. */
const lowered = (
  c: Settings,
  s: State,
  now: number
): { readonly rate: number; readonly limit: boolean; readonly took: number } => {
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
  if (!Number.isFinite(current)) return { rate: s.rate, limit: false, took: answered }
  // A limit is hit when 429s are a real share of enough answers; a few early ones prove nothing.
  const total = limited + answered
  const hit = share >= c.threshold && total >= minimumAnswers &&
    limited >= Math.max(2, Math.min(5, Math.ceil(c.threshold * total)))
  const took = Math.min(current, answered)
  if (hit) return { rate: Math.max(c.minimum, current / 2, took * c.decrease), limit: true, took }
  // A stray 429 among few answers is most of them: it never takes more than half, as a hit never does.
  return { rate: Math.max(c.minimum, current * (1 - share), current / 2), limit: false, took }
}

const onLimited = (c: Settings, before: State, now: number, retryAfter: Option.Option<Duration.Duration>): State => {
  const rolled = roll(before, now)
  const s = changed(rolled, { windowLimited: rolled.windowLimited + 1 })
  const next = lowered(c, s, now)
  const inSpell = now - s.lastDropAt < 1000
  // A stray 429 trims once a second at most; within a spell of drops, each answer refines the one drop.
  const allowed = next.limit ? true : now - s.lastTrimAt >= 1000 && !inSpell
  const trimmed = allowed && next.rate < s.rate ? next.rate : s.rate
  const dropped = next.limit && trimmed !== s.rate
  // Probing at the limit already hit, a 429 marks it again: just under it, CUBIC restarts instead of recovering past it.
  const atLimit = c.probing && !next.limit && trimmed !== s.rate && s.limit !== undefined &&
    s.rate >= plateau * s.limit
  const limit = dropped ? Math.max(trimmed, next.took) : atLimit
    ? (s.rate > risen * s.limit! ? trimmed : Math.min(s.limit!, trimmed, next.took))
    : s.limit
  const rate = atLimit ? plateau * limit! : trimmed
  const restart = dropped || atLimit
  const pause = Option.match(retryAfter, { onNone: () => now, onSome: (d) => now + Duration.toMillis(d) })
  const ahead = Math.max(0, s.nextAt - now)
  const cubic = c.cubic * Math.pow(Math.min(1, lagFree / Math.max(ahead / 1000, lagFree)), 3)
  return changed(s, {
    rate,
    recoverTo: restart ? rate : s.recoverTo,
    lastTrimAt: rate !== s.rate && !next.limit ? now : s.lastTrimAt,
    lastDropAt: restart && !inSpell ? now : s.lastDropAt,
    dropFrom: restart && !inSpell ? s.rate : s.dropFrom,
    limit,
    limitK: restart && limit !== undefined ? Math.cbrt(Math.max(0, 1 - rate / (plateau * limit)) / c.cubic) : s.limitK,
    limitCubic: restart ? cubic : s.limitCubic,
    nextAt: Math.max(s.nextAt, pause)
  })
}

/** Where a probing limiter goes with one more answer: slow start before the first limit, CUBIC after it. */
const probed = (c: Settings, s: State, now: number): number => {
  // Never far past what was answered in the last second: a rate nobody uses proves nothing.
  const answered = lastSecond(s, now, s.windowCount, s.previousWindowCount)
  // Slots handed out far ahead go at this rate before any 429 can answer it: the further, the smaller the step.
  const lag = Math.max(lagFree, (s.nextAt - now) / 1000)
  const step = 1 + (startGrowth - 1) * lagFree / lag
  if (s.limit === undefined) return Math.min(Math.max(c.initial, step * answered), s.rate + c.probe)
  // Near the limit, 429s come back late: a small step past what was answered; once more was answered, the limit rose.
  const near = Math.max(c.initial, (answered > risen * s.limit ? startGrowth : nearGrowth) * answered)
  const t = (now - s.lastDropAt) / 1000 - s.limitK
  const cubic = plateau * s.limit * (1 + (t < 0 ? c.cubic : s.limitCubic) * t * t * t)
  return Math.max(s.rate, Math.min(near, cubic, s.rate + s.limit))
}

const onAnswer = (c: Settings, before: State, now: number): State => {
  const s = roll(before, now)
  const counted = changed(s, { windowCount: s.windowCount + 1 })
  if (!Number.isFinite(s.rate) || s.rate >= c.ceiling) return counted
  // Back quickly to where stray 429s trimmed from; beyond it, probing or (after a limit was hit) gradually.
  const raised = s.rate < s.recoverTo
    ? Math.min(s.recoverTo, s.rate * (1 + trimRecovery) + minimumStep)
    : c.probing
    ? probed(c, counted, now)
    : s.rate + Math.max(s.rate * c.increase, minimumStep)
  const rate = Math.min(c.ceiling, Math.max(s.rate, raised))
  return changed(counted, { rate, peak: Math.max(s.peak, rate), recoverTo: Math.max(s.recoverTo, rate) })
}

/**
 * Builds an adaptive limiter (see the module description): probing from
 * `initial` up to the ceiling `rate`, or fixed at `rate` without `initial`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<RateLimiter> =>
  Effect.gen(function*() {
    const c = settingsOf(options)
    const now = yield* Clock.currentTimeMillis
    const state = MutableRef.make<State>({
      startedAt: Infinity,
      rate: c.initial,
      peak: c.initial,
      recoverTo: c.initial,
      nextAt: now,
      lastTrimAt: -Infinity,
      lastDropAt: -Infinity,
      dropFrom: c.initial,
      limit: undefined,
      limitK: 0,
      limitCubic: c.cubic,
      windowStart: now,
      windowCount: 0,
      previousWindowCount: 0,
      windowLimited: 0,
      previousWindowLimited: 0,
      waiting: 0
    })

    // Slots are handed out at most `c.horizon` ahead: a fiber beyond it waits unbooked, so a cut
    // applies to every slot not yet handed out instead of after the ones booked at the old rate.
    // Each reads the clock and the state and sets the state in one step: no other fiber runs in between.
    const reserve: Effect.Effect<number> = Effect.clockWith((clock) => {
      const now = clock.unsafeCurrentTimeMillis()
      const s = MutableRef.get(state)
      const slot = Math.max(now, s.nextAt)
      if (slot - now > c.horizon) {
        // Each waiting fiber sleeps until about its turn, so a slot wakes one fiber, not all of them.
        const turn = slot + s.waiting * (Number.isFinite(s.rate) ? 1000 / s.rate : 0)
        const sleep = Effect.as(Effect.sleep(Duration.millis(Math.ceil(turn - now - c.horizon))), true)
        const woke = Effect.flatMap(FiberRef.get(currentStop), (stop) =>
          stop === undefined
            ? sleep
            // Interruptible even inside a request's uninterruptible send: the loser must end.
            : Effect.raceFirst(Effect.interruptible(sleep), Effect.interruptible(Effect.as(stop, false))))
        MutableRef.set(state, changed(s, { waiting: s.waiting + 1 }))
        return Effect.flatMap(
          Effect.ensuring(
            woke,
            Effect.sync(() => {
              const after = MutableRef.get(state)
              MutableRef.set(state, changed(after, { waiting: after.waiting - 1 }))
            })
          ),
          (slotComing) => slotComing ? reserve : Effect.succeed(0)
        )
      }
      // The clock counts whole milliseconds: a slot less than one ahead is now (a sleep or a race would cost more
      // than it paces; the next slots still move on, so the rate holds).
      const wait = slot - now < 1 ? 0 : slot - now
      MutableRef.set(state, changed(s, { nextAt: slot + (Number.isFinite(s.rate) ? 1000 / s.rate : 0) }))
      return Effect.succeed(wait)
    })
    const take = Effect.flatMap(reserve, (wait) => wait > 0 ? Effect.sleep(Duration.millis(wait)) : Effect.void)
    const rateLimited = (retryAfter: Option.Option<Duration.Duration>) =>
      Effect.clockWith((clock) => {
        MutableRef.set(state, onLimited(c, MutableRef.get(state), clock.unsafeCurrentTimeMillis(), retryAfter))
        return Effect.void
      })
    const succeeded = Effect.clockWith((clock) => {
      MutableRef.set(state, onAnswer(c, MutableRef.get(state), clock.unsafeCurrentTimeMillis()))
      return Effect.void
    })

    return {
      take,
      reserve,
      rateLimited,
      succeeded,
      currentRate: Effect.sync(() => MutableRef.get(state).rate),
      peakRate: Effect.sync(() => MutableRef.get(state).peak)
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
