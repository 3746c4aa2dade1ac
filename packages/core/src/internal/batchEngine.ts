import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import * as Stream from "effect/Stream"
import type { RequestOptions, Service } from "../AppleMusicRatings.js"
import { AppleMusicRatings } from "../AppleMusicRatings.js"
import type { Failure, Options, Outcome, Summary, Target } from "../Batch.js"
import type { Entry } from "../Journal.js"
import * as RateLimiter from "../RateLimiter.js"
import type { RatingsError } from "../RatingsError.js"
import { isAuthError } from "../RatingsError.js"
import * as attempts from "./attempts.js"
import * as journalOf from "./batchJournal.js"
import { ownLimiter, rateOf } from "./batchRate.js"
import type { State } from "./batchState.js"
import { count, noteFailure, stopOnRequest, stopWith, summaryOf, withProgress } from "./batchState.js"
import { workers } from "./batchWorkers.js"
import { currentStop } from "./limiterStop.js"

const defaultConcurrency = 8

/**
 * What the engine is fed: a target to send, an outcome a feeder already knows
 * (an invalid id, a skip, a lookup's answer), or a target that cannot be sent
 * (counted as failed, never journaled).
 *
 * @internal
 */
export type Item =
  | { readonly _tag: "Settled"; readonly outcome: Outcome }
  | { readonly _tag: "Pending"; readonly target: Target }
  | { readonly _tag: "Unsendable"; readonly failure: Failure }

/** @internal */
export const settled = (outcome: Outcome): Item => ({ _tag: "Settled", outcome })

/** The request a batch makes for each target, and how its answers are recorded. @internal */
export interface Action {
  readonly send: (service: Service, target: Target, options: RequestOptions) => Effect.Effect<unknown, RatingsError>
  readonly settle: (target: Target, result: Either.Either<unknown, RatingsError>) => Outcome
  /** Made durable before the request is sent. */
  readonly intent: (target: Target, at: string) => Entry
  /** The entry of an outcome; undefined: not written. */
  readonly entryOf: (outcome: Outcome, at: string) => Entry | undefined
}

/** The engine's options: a delete batch's (a restore's are a part of them). @internal */
export type EngineOptions = Options

/** The last millisecond formatted, and its text: the entries of a busy batch share their milliseconds. */
let formattedMillis = Number.NaN
let formattedText = ""

const isoAt = (millis: number): string => {
  if (millis !== formattedMillis) {
    formattedMillis = millis
    formattedText = new Date(millis).toISOString()
  }
  return formattedText
}

/** Runs `f` with the time now as entries write it, in one step. */
const atNow = <A>(f: (at: string) => Effect.Effect<A>): Effect.Effect<A> =>
  Effect.clockWith((clock) => f(isoAt(clock.unsafeCurrentTimeMillis())))

/** The longest an outcome waits for an intent to be written with. */
const outcomeDelay = Duration.millis(100)

/** The most outcomes waiting for an intent: the worker that would add one more writes them all and waits. */
const maxUnwritten = 256

/**
 * Records outcomes (counts, journal, `onOutcome`) and makes intents durable.
 * A journal with `appendAll` takes each outcome with the next intent (of any
 * worker), within {@link outcomeDelay}, or at the end: one durable write a
 * request instead of two; at most {@link maxUnwritten} outcomes wait, so
 * memory stays bounded however fast outcomes come. An outcome not yet written
 * loses nothing if the process dies: its intent is in the journal, so a
 * resume looks the target up and a restore puts it back.
 */
const makeRecorder = (state: State, action: Action, options: EngineOptions) => {
  const journal = options.journal
  const appendAll = journal?.appendAll
  let unwritten: Array<Entry> = []
  const failed = (entry: Entry, keep: boolean) => (error: { readonly message: string }) =>
    Effect.zipRight(
      Effect.sync(() => void (keep ? state.unrecorded.push(journalOf.unrecordedOf(entry)) : undefined)),
      stopWith(state.control, "JournalError", error.message)
    )
  /** Appends the outcomes not yet written and then `last`; on failure, the outcomes are kept as unrecorded. */
  const writeAll = (last: Entry | undefined): Effect.Effect<boolean> => {
    const entries = unwritten
    const outcomes = entries.length
    unwritten = []
    if (last !== undefined) entries.push(last)
    return entries.length === 0 ? Effect.succeed(true) : Effect.matchEffect(journalOf.durably(appendAll!(entries)), {
      onSuccess: () => Effect.succeed(true),
      onFailure: (error) =>
        Effect.zipRight(
          Effect.sync(() => void state.unrecorded.push(...entries.slice(0, outcomes).map(journalOf.unrecordedOf))),
          Effect.as(stopWith(state.control, "JournalError", error.message), false)
        )
    })
  }
  /** Writes the outcomes still waiting for an intent. */
  const flush: Effect.Effect<void> = Effect.uninterruptible(Effect.suspend(() => writeAll(undefined)))
  const onOutcome = options.onOutcome
  const journaled = (outcome: Outcome, at: string): Effect.Effect<void> => {
    const entry = action.entryOf(outcome, at)
    if (journal === undefined || entry === undefined) return Effect.void
    if (appendAll === undefined) return Effect.catchAll(journalOf.appendDurably(journal, entry), failed(entry, true))
    unwritten.push(entry)
    // Without intents to ride with (a dry run, lookups settling many), the outcomes still wait for the disk.
    return unwritten.length < maxUnwritten ? Effect.void : flush
  }
  // Plain effects, no generator: this runs once per target.
  const record = (outcome: Outcome): Effect.Effect<void> => {
    const written = journal === undefined
      ? Effect.sync(() => count(state, outcome))
      : atNow((at) => {
        count(state, outcome)
        return journaled(outcome, at)
      })
    return onOutcome === undefined ? written : Effect.zipRight(written, Effect.suspend(() => onOutcome(outcome)))
  }
  /** False (and the batch stopped) when the journal refuses the intent: the request is then not sent. */
  const intend = (target: Target): Effect.Effect<boolean> =>
    journal === undefined ? Effect.succeed(true) : atNow((at) => {
      const entry = action.intent(target, at)
      return appendAll !== undefined ? writeAll(entry) : journalOf.appendDurably(journal, entry).pipe(
        Effect.as(true),
        Effect.catchAll((error) => Effect.as(failed(entry, false)(error), false))
      )
    })
  /** Runs the workers, writing waiting outcomes every {@link outcomeDelay} and once the workers are done or interrupted. */
  const writing = <A, E, R>(workers: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    appendAll === undefined
      ? workers
      : Effect.ensuring(
        Effect.raceFirst(workers, Effect.forever(Effect.zipRight(Effect.sleep(outcomeDelay), flush))),
        flush
      )
  return { record, intend, writing, journaled: journal !== undefined }
}

/** The cap on deletions: a permit per deletion (or plan); reaching the cap stops the batch. */
const makeCap = (state: State, maxDeletions: number | undefined) =>
  Effect.gen(function*() {
    const control = state.control
    const permits = maxDeletions === undefined ? undefined : yield* Effect.makeSemaphore(maxDeletions)
    const capReached = yield* Deferred.make<void>()
    const reachCap = Effect.zipRight(
      Effect.sync(() => {
        control.stopped = true
        control.capReached = true
      }),
      Deferred.succeed(capReached, undefined)
    )
    if (maxDeletions === 0) yield* reachCap
    const acquire: Effect.Effect<boolean> = permits === undefined
      ? Effect.succeed(true)
      : Effect.raceFirst(Effect.as(permits.take(1), true), Effect.as(Deferred.await(capReached), false))
    const release = permits === undefined ? Effect.void : permits.release(1)
    const afterDeletion = Effect.suspend(() => {
      const total = state.counters.deleted + state.counters.restored + state.counters.planned
      return maxDeletions !== undefined && total >= maxDeletions ? reachCap : Effect.void
    })
    return { acquire, release, afterDeletion, limited: permits !== undefined }
  })

/**
 * Waits for a slot of the limiter; answers false, at once, if the batch stops
 * first. A slot free now costs no race. Without a limiter (a service not made
 * by `AppleMusicRatings.make`, no `rate`) the service paces itself.
 */
const waitSlot = (limiter: RateLimiter.RateLimiter | undefined, state: State): Effect.Effect<boolean> => {
  const control = state.control
  if (control.stopped) return Effect.succeed(false)
  if (limiter === undefined) return Effect.succeed(true)
  const stopped = Effect.as(Deferred.await(control.signal), false)
  return limiter.reserve === undefined
    ? Effect.raceFirst(Effect.as(limiter.take, true), stopped)
    : Effect.flatMap(
      limiter.reserve,
      (millis) => millis <= 0 ? Effect.succeed(true) : Effect.raceFirst(Effect.as(Effect.sleep(millis), true), stopped)
    )
}

/** A worker's slot taken by {@link waitSlot} for the request it sends next; shared with the fibers that request forks. */
interface Prepaid {
  paid: boolean
}

const currentPrepaid = FiberRef.unsafeMake<Prepaid | undefined>(undefined)

/**
 * The batch's limiter, set once around all workers: a request's first attempt
 * uses the slot its worker already took, retries wait again. No per-request
 * `Effect.locally`: the worker marks its own slot paid before it sends.
 */
const prepaid = (limiter: RateLimiter.RateLimiter): RateLimiter.RateLimiter => ({
  ...limiter,
  take: Effect.withFiberRuntime((fiber) => {
    const slot = fiber.getFiberRef(currentPrepaid)
    if (slot === undefined || !slot.paid) return limiter.take
    slot.paid = false
    return Effect.void
  })
})

/**
 * Sends with the worker's slot marked paid, and answers how it ended; the mark
 * does not outlive the request's answer. (A defect or an interruption ends the
 * worker or the batch, and the mark with it.)
 */
const paidFor = <A, E>(send: Effect.Effect<A, E>): Effect.Effect<Either.Either<A, E>> =>
  Effect.withFiberRuntime((fiber) => {
    const found = fiber.getFiberRef(currentPrepaid)
    const slot = found ?? { paid: false }
    slot.paid = true
    const sent = Effect.map(Effect.either(send), (result) => {
      slot.paid = false
      return result
    })
    return found === undefined ? Effect.zipRight(FiberRef.set(currentPrepaid, slot), sent) : sent
  })

const isDeletion = (outcome: Outcome) =>
  outcome._tag === "Deleted" || outcome._tag === "Restored" || outcome._tag === "Planned"

interface Worker {
  readonly state: State
  readonly action: Action
  readonly service: Service
  readonly limiter: RateLimiter.RateLimiter | undefined
  readonly options: EngineOptions
  readonly recorder: ReturnType<typeof makeRecorder>
  readonly cap: Effect.Effect.Success<ReturnType<typeof makeCap>>
}

/** Sends one target's request (the first one alone), waiting for a slot and its intent first. */
const makeSendOne = (worker: Worker) =>
  Effect.map(Deferred.make<void>(), (firstAnswered) => {
    const { action, cap, limiter, recorder, service, state } = worker
    const control = state.control
    const request = { ...(worker.options.language === undefined ? {} : { language: worker.options.language }) }
    // The first request goes alone: refused tokens then cost exactly one request, not `concurrency` of them.
    let firstTaken = false
    let firstDone = false
    const letOthersGo = Effect.suspend(() => {
      firstDone = true
      return Deferred.succeed(firstAnswered, undefined)
    })
    /** After the answer: the outcome, a stop on a refused token, the record, the cap. Plain effects, once per target. */
    const settle = (target: Target) => (result: Either.Either<unknown, RatingsError>): Effect.Effect<void> => {
      const outcome = action.settle(target, result)
      const recorded = recorder.record(outcome)
      const done = cap.limited
        ? Effect.zipRight(recorded, isDeletion(outcome) ? cap.afterDeletion : cap.release)
        : recorded
      return outcome._tag === "Failed" && isAuthError(outcome.error)
        ? Effect.zipRight(stopWith(control, outcome.error._tag, outcome.error.message), done)
        : done
    }
    const send = (target: Target, first: boolean): Effect.Effect<void> => {
      const sent = action.send(service, target, request)
      const answered = limiter === undefined ? Effect.either(sent) : paidFor(sent)
      return Effect.flatMap(first ? Effect.zipLeft(answered, letOthersGo) : answered, settle(target))
    }
    const go = (target: Target, first: boolean, restore: <A>(effect: Effect.Effect<A>) => Effect.Effect<A>) => {
      const notSent = first ? Effect.zipRight(letOthersGo, cap.release) : cap.release
      // Waiting for a slot is not acting yet: a stop ends the wait; the intent is then made durable before sending.
      return Effect.flatMap(restore(waitSlot(limiter, state)), (slot) =>
        !slot || control.stopped
          ? notSent
          : recorder.journaled
          ? Effect.flatMap(recorder.intend(target), (intended) => intended ? send(target, first) : notSent)
          : send(target, first))
    }
    return (target: Target, restore: <A>(effect: Effect.Effect<A>) => Effect.Effect<A>): Effect.Effect<void> => {
      if (firstDone) return go(target, false, restore)
      const first = !firstTaken
      firstTaken = true
      // Whatever ends the first request (an answer, a stop, a defect, an interruption) lets the others go.
      if (first) return Effect.ensuring(go(target, true, restore), letOthersGo)
      return Effect.flatMap(
        restore(Deferred.await(firstAnswered)),
        () => control.stopped ? cap.release : go(target, false, restore)
      )
    }
  })

/** What a worker does with one item. */
const makeProcess = (worker: Worker) =>
  Effect.gen(function*() {
    const { cap, recorder, state } = worker
    const sendOne = yield* makeSendOne(worker)
    const dryRun = worker.options.dryRun === true
    const afterPermit = (
      target: Target,
      restore: <A>(effect: Effect.Effect<A>) => Effect.Effect<A>
    ): Effect.Effect<void> =>
      state.control.stopped
        ? cap.release
        : dryRun
        ? Effect.zipRight(recorder.record({ _tag: "Planned", target }), cap.afterDeletion)
        : sendOne(target, restore)
    const pending = (target: Target): Effect.Effect<void> =>
      Effect.uninterruptibleMask((restore) =>
        state.control.stopped
          ? Effect.void
          : cap.limited
          ? Effect.flatMap(restore(cap.acquire), (permitted) => permitted ? afterPermit(target, restore) : Effect.void)
          : afterPermit(target, restore)
      )
    return (item: Item): Effect.Effect<void> =>
      item._tag === "Settled"
        ? recorder.record(item.outcome)
        : item._tag === "Unsendable"
        ? Effect.sync(() => noteFailure(state, item.failure))
        : pending(item.target)
  })

/**
 * The one batch engine: runs a feeder's items through `concurrency` workers,
 * with one limiter (the batch's `rate`, or the client's), the cap, the stop
 * control, the journal and progress; requests and retries are counted by the
 * service as it sends them.
 *
 * @internal
 */
export const execute = <E, R>(
  state: State,
  source: Stream.Stream<Item, E, R>,
  action: Action,
  options: EngineOptions
): Effect.Effect<Summary, E, R | AppleMusicRatings> =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const service = yield* AppleMusicRatings
    const own = yield* ownLimiter(options)
    const limiter = own ?? attempts.clientLimiterOf(service)
    const maxDeletions = options.maxDeletions === undefined ? undefined : Math.max(0, Math.floor(options.maxDeletions))
    const cap = yield* makeCap(state, maxDeletions)
    const worker: Worker = {
      state,
      action,
      service,
      limiter,
      options,
      cap,
      recorder: makeRecorder(state, action, options)
    }
    const process = yield* makeProcess(worker)
    const counters = state.counters
    const onAttempt = (retry: boolean) => {
      counters.requests++
      if (retry) counters.retries++
    }
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? defaultConcurrency))
    yield* workers(Stream.takeWhile(source, () => !state.control.stopped), concurrency, process).pipe(
      worker.recorder.writing,
      (effect) => limiter === undefined ? effect : RateLimiter.withLimiter(effect, prepaid(limiter)),
      Effect.locally(attempts.currentOnAttempt, onAttempt),
      Effect.locally(currentStop, Deferred.await(state.control.signal)),
      stopOnRequest(options.stop, state.control),
      (effect) => withProgress(effect, counters, options, limiter)
    )
    const elapsed = (yield* Clock.currentTimeMillis) - started
    return summaryOf(state, options.dryRun ?? false, elapsed, yield* rateOf(limiter))
  })
