import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Schedule from "effect/Schedule"
import type { Failure, Outcome, Progress, RateSummary, StopReason, Summary, Unrecorded } from "../Batch.js"
import type { RateLimiter } from "../RateLimiter.js"

/** A summary keeps the first failures only: the journal (and the counts) have every one. */
const maxFailures = 100

/** What a running batch has counted so far. @internal */
export interface Counters {
  requested: number
  deleted: number
  restored: number
  absent: number
  failed: number
  invalid: number
  skipped: number
  planned: number
  requests: number
  retries: number
  scanned: number
  matched: number
  /** The library's size, as a sweep's listing stated it. */
  libraryTotal?: number | undefined
}

/** How a batch stops: once stopped, nothing new starts. @internal */
export interface Control {
  /** Completed when the batch stops, for whoever waits (the limiter, a lookup). */
  readonly signal: Deferred.Deferred<void>
  stopped: boolean
  stoppedBy: StopReason | null
  stopMessage: string | null
  capReached: boolean
}

/** The mutable state of one batch, shared by its feeder and the engine. @internal */
export interface State {
  readonly counters: Counters
  readonly control: Control
  readonly failures: Array<Failure>
  readonly unrecorded: Array<Unrecorded>
}

/** @internal */
export const makeState = (): State => ({
  counters: {
    requested: 0,
    deleted: 0,
    restored: 0,
    absent: 0,
    failed: 0,
    invalid: 0,
    skipped: 0,
    planned: 0,
    requests: 0,
    retries: 0,
    scanned: 0,
    matched: 0
  },
  control: {
    signal: Deferred.unsafeMake<void>(FiberId.none),
    stopped: false,
    stoppedBy: null,
    stopMessage: null,
    capReached: false
  },
  failures: [],
  unrecorded: []
})

/** Records a failure in the summary's list (the first 100) and counts it. @internal */
export const noteFailure = (state: State, failure: Failure, invalid = false): void => {
  if (invalid) state.counters.invalid++
  else state.counters.failed++
  if (state.failures.length < maxFailures) state.failures.push(failure)
}

/** Counts an outcome. @internal */
export const count = (state: State, outcome: Outcome): void => {
  const counters = state.counters
  switch (outcome._tag) {
    case "Deleted":
      counters.deleted++
      break
    case "Restored":
      counters.restored++
      break
    case "Absent":
      counters.absent++
      break
    case "Failed":
    case "Invalid": {
      const { error, target } = outcome
      noteFailure(
        state,
        { kind: target.kind, id: target.id, error: error._tag, message: error.message },
        outcome._tag === "Invalid"
      )
      break
    }
    case "Skipped":
      counters.skipped++
      break
    case "Planned":
      counters.planned++
      break
  }
}

/** Stops the batch (the first reason wins) and wakes whoever waits. @internal */
export const stopWith = (control: Control, reason: StopReason, message: string | null): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (!control.stopped) {
      control.stopped = true
      control.stoppedBy = reason
      control.stopMessage = message
    }
    return Deferred.succeed(control.signal, undefined)
  })

/** While the effect runs, a completed `stop` stops the batch: nothing new is started. @internal */
export const stopOnRequest =
  (stop: Effect.Effect<void> | undefined, control: Control) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    stop === undefined ? effect : Effect.raceFirst(
      effect,
      Effect.zipRight(Effect.zipRight(stop, stopWith(control, "Interrupted", "stopped on request")), Effect.never)
    )

const settledOf = (c: Counters) => c.deleted + c.restored + c.absent + c.failed + c.invalid + c.skipped + c.planned

const countsOf = (c: Counters) => ({
  requested: c.requested,
  deleted: c.deleted,
  restored: c.restored,
  absent: c.absent,
  failed: c.failed,
  invalid: c.invalid,
  skipped: c.skipped,
  planned: c.planned,
  requests: c.requests,
  retries: c.retries,
  scanned: c.scanned,
  matched: c.matched
})

const snapshot = (
  counters: Counters,
  started: number,
  now: number,
  total: number | undefined,
  done: boolean,
  rate: number | undefined
) => {
  const elapsedMillis = Math.max(0, now - started)
  const seconds = elapsedMillis / 1000
  const settled = settledOf(counters)
  const settledPerSecond = seconds > 0 ? settled / seconds : 0
  const progress: Progress = {
    ...countsOf(counters),
    elapsedMillis,
    requestsPerSecond: seconds > 0 ? counters.requests / seconds : 0,
    settledPerSecond,
    total,
    etaSeconds: total !== undefined && settledPerSecond > 0
      ? Math.max(0, total - settled) / settledPerSecond
      : undefined,
    rate,
    ...(counters.libraryTotal === undefined ? {} : { libraryTotal: counters.libraryTotal }),
    done
  }
  return progress
}

/** Progress options of the engine. @internal */
export interface ProgressOptions {
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
  readonly progressInterval?: Duration.DurationInput | undefined
  readonly total?: number | undefined
}

/** Reports progress every interval while the effect runs, and once when it is done. @internal */
export const withProgress = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  counters: Counters,
  options: ProgressOptions,
  limiter?: RateLimiter | undefined
): Effect.Effect<A, E, R> => {
  const onProgress = options.onProgress
  if (onProgress === undefined) return effect
  return Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const rate = limiter === undefined ? Effect.succeed(undefined) : limiter.currentRate
    const report = (done: boolean) =>
      Effect.flatMap(
        Effect.zip(Clock.currentTimeMillis, rate),
        ([now, rate]) => onProgress(snapshot(counters, started, now, options.total, done, rate))
      )
    const ticker = yield* Effect.fork(
      Effect.repeat(report(false), Schedule.spaced(Duration.decode(options.progressInterval ?? "1 second")))
    )
    const result = yield* Effect.ensuring(effect, Fiber.interrupt(ticker))
    yield* report(true)
    return result
  })
}

/** The summary of a batch from its state. @internal */
export const summaryOf = (
  state: State,
  dryRun: boolean,
  elapsedMillis: number,
  rate?: RateSummary | undefined
): Summary => ({
  ...countsOf(state.counters),
  elapsedMillis,
  ...(rate === undefined ? {} : { rate }),
  dryRun,
  stoppedBy: state.control.stoppedBy,
  stopMessage: state.control.stopMessage,
  capReached: state.control.capReached,
  failures: state.failures,
  unrecorded: state.unrecorded
})
