import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Take from "effect/Take"
import { AppleMusicRatings } from "../AppleMusicRatings.js"
import type {
  Failure,
  Options,
  Outcome,
  Progress,
  RestoreOptions,
  RestoreSummary,
  StopReason,
  Summary,
  SweepOptions,
  Target,
  Unrecorded
} from "../Batch.js"
import type { Entry, Journal } from "../Journal.js"
import type { JournalError } from "../Journal.js"
import { key, makeTargetSet, read as readJournal } from "../Journal.js"
import type { RateLimiter } from "../RateLimiter.js"
import { make as makeLimiter, withLimiter } from "../RateLimiter.js"
import * as RatingId from "../RatingId.js"
import type { LibraryRatingKind } from "../RatingKind.js"
import { isRatingKind } from "../RatingKind.js"
import type { RatingsError } from "../RatingsError.js"
import { InvalidId, isAuthError } from "../RatingsError.js"
import type { RatingValue } from "../RatingValue.js"
import { matches } from "../RatingValue.js"

const defaultConcurrency = 8

/** A summary keeps the first failures only: the journal (and the counts) have every one. */
const maxFailures = 100

const noteFailure = (failures: Array<Failure>, failure: Failure): void => {
  if (failures.length < maxFailures) failures.push(failure)
}

const finished: unique symbol = Symbol("finished")

/**
 * Runs `work` on every element with `concurrency` workers pulling from a small
 * queue: memory stays bounded by the concurrency, and (unlike a fiber per
 * element) the cost per element stays small. A failing source lets the
 * workers finish what they took, then fails.
 */
const workers = <A, E, R>(
  source: Stream.Stream<A, E, R>,
  concurrency: number,
  work: (a: A) => Effect.Effect<void>
): Effect.Effect<void, E, R> =>
  Effect.gen(function*() {
    const queue = yield* Queue.bounded<A | typeof finished>(concurrency * 2)
    const worker: Effect.Effect<void> = Effect.gen(function*() {
      while (true) {
        const item = yield* Queue.take(queue)
        if (item === finished) return
        yield* work(item)
      }
    })
    const fibers = yield* Effect.forEach(Array.from({ length: concurrency }), () => Effect.fork(worker))
    const fed = yield* Effect.exit(Stream.runForEach(source, (item) => Queue.offer(queue, item)))
    for (let i = 0; i < concurrency; i++) yield* Queue.offer(queue, finished)
    yield* Fiber.joinAll(fibers)
    return yield* fed
  })

interface Counters {
  requested: number
  deleted: number
  absent: number
  failed: number
  invalid: number
  skipped: number
  planned: number
  requests: number
  operations: number
  scanned: number
  matched: number
}

const makeCounters = (): Counters => ({
  requested: 0,
  deleted: 0,
  absent: 0,
  failed: 0,
  invalid: 0,
  skipped: 0,
  planned: 0,
  requests: 0,
  operations: 0,
  scanned: 0,
  matched: 0
})

interface Control {
  /** Completed when the batch stops, for whoever waits (the limiter, a lookup). */
  readonly signal: Deferred.Deferred<void>
  stopped: boolean
  stoppedBy: StopReason | null
  stopMessage: string | null
  capReached: boolean
}

type Item =
  | { readonly _tag: "Settled"; readonly outcome: Outcome }
  | { readonly _tag: "Pending"; readonly target: Target }

const settled = (outcome: Outcome): Item => ({ _tag: "Settled", outcome })

const observe = (limiter: RateLimiter, counters: Counters): RateLimiter => ({
  ...limiter,
  take: Effect.zipRight(limiter.take, Effect.sync(() => void counters.requests++)),
  reserve: undefined
})

/**
 * Waits for a slot of the limiter; answers false, at once, if the batch stops
 * first. A slot free now costs no race. The caller counts the request once it
 * is sent.
 */
const waitSlot = (limiter: RateLimiter, control: Control): Effect.Effect<boolean> => {
  if (control.stopped) return Effect.succeed(false)
  const stopped = Effect.as(Deferred.await(control.signal), false)
  const wait = limiter.reserve === undefined
    ? Effect.raceFirst(Effect.as(limiter.take, true), stopped)
    : Effect.flatMap(
      limiter.reserve,
      (millis) => millis <= 0 ? Effect.succeed(true) : Effect.raceFirst(Effect.as(Effect.sleep(millis), true), stopped)
    )
  return wait
}

/** The limiter for a request whose first slot {@link waitSlot} already took: retries wait again. */
const prepaid = (limiter: RateLimiter): RateLimiter => {
  let paid = true
  return {
    ...limiter,
    take: Effect.suspend(() => {
      if (!paid) return limiter.take
      paid = false
      return Effect.void
    })
  }
}

/** Appends an entry, retrying a failed write twice at once before giving up. */
const appendDurably = (journal: Journal, entry: Entry): Effect.Effect<void, JournalError> =>
  Effect.retry(journal.append(entry), Schedule.recurs(2))

const unrecordedOf = (entry: Entry): Unrecorded => ({
  kind: entry.kind,
  id: entry.id,
  outcome: entry.outcome,
  value: entry.value
})

const entryOf = (outcome: Outcome, at: string): Entry | undefined => {
  const base = { kind: outcome.target.kind, id: outcome.target.id, at }
  switch (outcome._tag) {
    case "Deleted":
      return {
        outcome: "deleted",
        ...base,
        ...(outcome.value === undefined ? {} : { value: outcome.value }),
        ...(outcome.confirmed === false ? { confirmed: false } : {})
      }
    case "Absent":
      return { outcome: "absent", ...base }
    case "Failed":
    case "Invalid":
      return {
        outcome: outcome._tag === "Failed" ? "failed" : "invalid",
        ...base,
        error: outcome.error._tag,
        message: outcome.error.message
      }
    case "Planned":
      return { outcome: "planned", ...base }
    case "Skipped":
      return undefined
  }
}

const countsOf = (counters: Counters) => ({
  requested: counters.requested,
  deleted: counters.deleted,
  absent: counters.absent,
  failed: counters.failed,
  invalid: counters.invalid,
  skipped: counters.skipped,
  planned: counters.planned,
  requests: counters.requests,
  retries: Math.max(0, counters.requests - counters.operations),
  scanned: counters.scanned,
  matched: counters.matched
})

const snapshot = (
  counters: Counters,
  started: number,
  now: number,
  total: number | undefined,
  done: boolean
): Progress => {
  const elapsedMillis = Math.max(0, now - started)
  const seconds = elapsedMillis / 1000
  const settledCount = counters.deleted + counters.absent + counters.failed + counters.invalid + counters.skipped +
    counters.planned
  const settledPerSecond = seconds > 0 ? settledCount / seconds : 0
  return {
    ...countsOf(counters),
    elapsedMillis,
    requestsPerSecond: seconds > 0 ? counters.requests / seconds : 0,
    settledPerSecond,
    total,
    etaSeconds: total !== undefined && settledPerSecond > 0
      ? Math.max(0, total - settledCount) / settledPerSecond
      : undefined,
    done
  }
}

interface ProgressOptions {
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
  readonly progressInterval?: Duration.DurationInput | undefined
  readonly total?: number | undefined
}

const withProgress = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  counters: Counters,
  options: ProgressOptions
): Effect.Effect<A, E, R> => {
  const onProgress = options.onProgress
  if (onProgress === undefined) return effect
  return Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const report = (done: boolean) =>
      Effect.flatMap(
        Clock.currentTimeMillis,
        (now) => onProgress(snapshot(counters, started, now, options.total, done))
      )
    const ticker = yield* Effect.fork(
      Effect.repeat(report(false), Schedule.spaced(Duration.decode(options.progressInterval ?? "1 second")))
    )
    const result = yield* Effect.ensuring(effect, Fiber.interrupt(ticker))
    yield* report(true)
    return result
  })
}

/** @internal */
export const execute = <E, R>(
  targets: Stream.Stream<Target, E, R>,
  options: Options,
  counters: Counters,
  control: Control
): Effect.Effect<Summary, E | JournalError, R | AppleMusicRatings> =>
  Effect.gen(function*() {
    const service = yield* AppleMusicRatings
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? defaultConcurrency))
    const dryRun = options.dryRun ?? false
    const journal = options.journal
    const state = journal === undefined ? undefined : yield* readJournal(journal)
    const seen = state?.done ?? makeTargetSet()
    const base = options.rate === undefined ? service.rateLimiter : yield* makeLimiter({ rate: options.rate })
    const limiter = observe(base, counters)
    const failures: Array<Failure> = []
    const unrecorded: Array<Unrecorded> = []
    const language = options.language === undefined ? {} : { language: options.language }
    const maxDeletions = options.maxDeletions === undefined ? undefined : Math.max(0, Math.floor(options.maxDeletions))
    const permits = maxDeletions === undefined ? undefined : yield* Effect.makeSemaphore(maxDeletions)
    const capReached = yield* Deferred.make<void>()

    const stop = (reason: StopReason, message: string | null) => stopWith(control, reason, message)

    const reachCap = Effect.zipRight(
      Effect.sync(() => {
        control.stopped = true
        control.capReached = true
      }),
      Deferred.succeed(capReached, undefined)
    )
    if (maxDeletions === 0) yield* reachCap

    const record = (outcome: Outcome) =>
      Effect.gen(function*() {
        count(counters, failures, outcome)
        if (journal !== undefined) {
          const now = yield* Clock.currentTimeMillis
          const entry = entryOf(outcome, new Date(now).toISOString())
          if (entry !== undefined) {
            yield* Effect.catchAll(appendDurably(journal, entry), (error) =>
              Effect.zipRight(
                Effect.sync(() => void unrecorded.push(unrecordedOf(entry))),
                stop("JournalError", error.message)
              ))
          }
        }
        if (options.onOutcome !== undefined) yield* options.onOutcome(outcome)
      })

    /** Makes the intent to delete durable; false (and the batch stopped) when the journal refuses it. */
    const intend = (target: Target): Effect.Effect<boolean> =>
      journal === undefined ?
        Effect.succeed(true) :
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          appendDurably(journal, {
            outcome: "intent",
            kind: target.kind,
            id: target.id,
            ...(target.value === undefined ? {} : { value: target.value }),
            at: new Date(now).toISOString()
          }).pipe(
            Effect.as(true),
            Effect.catchAll((error) => Effect.as(stop("JournalError", error.message), false))
          ))

    const classify = (target: Target): Item => {
      counters.requested++
      const kindOk = isRatingKind(target.kind)
      const checked = kindOk
        ? RatingId.validate(target.kind, target.id)
        : Either.left(new InvalidId({ id: String(target.id), reason: `'${String(target.kind)}' is not a rating kind` }))
      if (Either.isLeft(checked)) return settled({ _tag: "Invalid", target, error: checked.left })
      const k = key(target.kind, target.id)
      if (seen.has(k)) {
        return settled({ _tag: "Skipped", target, reason: journal !== undefined ? "journal" : "duplicate" })
      }
      seen.add(k)
      return { _tag: "Pending", target }
    }

    // DELETEs a previous run began but did not settle: when the input names them again they are looked up
    // first; gone, they are deleted-unconfirmed. Those it does not name stay intents, which restore puts back.
    const unsettled = state === undefined || dryRun ? [] : state.unsettled
    const begun = new Map(unsettled.map((u) => [key(u.kind, u.id), u.value]))
    const lookup = makeLookup(service, counters, control, language, stop, begun)

    const acquire: Effect.Effect<boolean> = permits === undefined
      ? Effect.succeed(true)
      : Effect.raceFirst(Effect.as(permits.take(1), true), Effect.as(Deferred.await(capReached), false))

    const afterDeletion = Effect.suspend(() => {
      const total = counters.deleted + counters.planned
      return maxDeletions !== undefined && total >= maxDeletions ? reachCap : Effect.void
    })

    const release = permits === undefined ? Effect.void : permits.release(1)

    // The first DELETE goes alone: refused tokens then cost exactly one request, not `concurrency` of them.
    const firstAnswered = yield* Deferred.make<void>()
    let firstTaken = false

    const deleteOne = (target: Target): Effect.Effect<void> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          if (control.stopped || !(yield* restore(acquire))) return
          if (control.stopped) return yield* release
          if (dryRun) {
            yield* record({ _tag: "Planned", target })
            return yield* afterDeletion
          }
          const first = !firstTaken
          firstTaken = true
          if (!first) {
            yield* Deferred.await(firstAnswered)
            if (control.stopped) return yield* release
          }
          // Waiting for a slot is not acting yet: a stop ends the wait; the intent is then made durable before the DELETE.
          if (!(yield* restore(waitSlot(base, control))) || control.stopped || !(yield* intend(target))) {
            if (first) yield* Deferred.succeed(firstAnswered, undefined)
            return yield* release
          }
          counters.operations++
          counters.requests++
          const result = yield* Effect.either(
            withLimiter(service.deleteRating(target.kind, target.id, language), prepaid(limiter))
          )
          if (first) yield* Deferred.succeed(firstAnswered, undefined)
          if (Either.isRight(result)) {
            yield* record({ _tag: "Deleted", target, value: target.value })
            return yield* afterDeletion
          }
          const error = result.left
          // With an intent written, a 404 may follow our own earlier attempt, committed with its answer lost.
          if (error._tag === "NotFound" && journal !== undefined) {
            yield* record({ _tag: "Deleted", target, value: target.value, confirmed: false })
            return yield* afterDeletion
          }
          yield* release
          if (error._tag === "NotFound") return yield* record({ _tag: "Absent", target })
          if (isAuthError(error)) yield* stop(error._tag, error.message)
          yield* record({ _tag: "Failed", target, error })
        })
      )

    const process = (item: Item): Effect.Effect<void> =>
      item._tag === "Settled" ? record(item.outcome) : deleteOne(item.target)

    const classified = targets.pipe(
      Stream.takeWhile(() => !control.stopped),
      Stream.map(classify)
    )
    const looked = journal === undefined || dryRun
      ? classified
      : classified.pipe(
        Stream.grouped(100),
        Stream.mapEffect(lookup),
        Stream.flattenIterables
      )

    yield* workers(looked, concurrency, process).pipe(withLimiter(limiter), stopOnRequest(options.stop, control))

    return {
      ...countsOf(counters),
      elapsedMillis: 0,
      dryRun,
      stoppedBy: control.stoppedBy,
      stopMessage: control.stopMessage,
      capReached: control.capReached,
      failures,
      unrecorded
    }
  })

const count = (counters: Counters, failures: Array<Failure>, outcome: Outcome): void => {
  switch (outcome._tag) {
    case "Deleted":
      counters.deleted++
      break
    case "Absent":
      counters.absent++
      break
    case "Failed":
    case "Invalid":
      if (outcome._tag === "Failed") counters.failed++
      else counters.invalid++
      noteFailure(failures, {
        kind: outcome.target.kind,
        id: outcome.target.id,
        error: outcome.error._tag,
        message: outcome.error.message
      })
      break
    case "Skipped":
      counters.skipped++
      break
    case "Planned":
      counters.planned++
      break
  }
}

/**
 * Looks up the values of targets that do not carry one, 100 at a time, so the
 * journal can put them back; a target without a rating is `Absent` and never
 * sent, unless a previous run began deleting it (`begun`, with the value of its
 * intent): it is then `Deleted`, unconfirmed. A stop ends a lookup waiting on
 * the limiter at once.
 */
const makeLookup = (
  service: AppleMusicRatings["Type"],
  counters: Counters,
  control: Control,
  language: { readonly language?: string },
  stop: (reason: StopReason, message: string | null) => Effect.Effect<void>,
  begun: ReadonlyMap<string, RatingValue | undefined>
) =>
(chunk: Chunk.Chunk<Item>): Effect.Effect<ReadonlyArray<Item>> =>
  Effect.gen(function*() {
    const items = Chunk.toReadonlyArray(chunk)
    const unknown = items.flatMap((item) =>
      item._tag === "Pending" && item.target.value === undefined ? [item.target] : []
    )
    if (unknown.length === 0 || control.stopped) {
      return items
    }
    const byKind = new Map<Target["kind"], Array<Target>>()
    for (const target of unknown) byKind.set(target.kind, [...(byKind.get(target.kind) ?? []), target])
    const found = new Map<string, RatingValue>()
    const failed = new Map<string, RatingsError>()
    for (const [kind, group] of byKind) {
      counters.operations++
      const answer = yield* Effect.raceFirst(
        Effect.map(Effect.either(service.getRatings(kind, group.map((target) => target.id), language)), Option.some),
        Effect.as(Deferred.await(control.signal), Option.none())
      )
      if (Option.isNone(answer)) break
      const result = answer.value
      if (Either.isLeft(result)) {
        const error = result.left
        if (isAuthError(error)) yield* stop(error._tag, error.message)
        for (const target of group) failed.set(key(kind, target.id), error)
      } else {
        for (const rating of result.right) found.set(key(kind, rating.id), rating.value)
      }
    }
    const pending = control.stopped
      ? items.filter((item) => item._tag === "Settled" || item.target.value !== undefined)
      : items
    return pending.map((item): Item => {
      if (item._tag !== "Pending" || item.target.value !== undefined) return item
      const k = key(item.target.kind, item.target.id)
      const error = failed.get(k)
      if (error !== undefined) return settled({ _tag: "Failed", target: item.target, error })
      const value = found.get(k)
      if (value !== undefined) return { _tag: "Pending", target: { ...item.target, value } }
      return begun.has(k)
        ? settled({ _tag: "Deleted", target: item.target, value: begun.get(k), confirmed: false })
        : settled({ _tag: "Absent", target: item.target })
    })
  })

const timed = <E, R>(effect: Effect.Effect<Summary, E, R>): Effect.Effect<Summary, E, R> =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const summary = yield* effect
    const now = yield* Clock.currentTimeMillis
    return { ...summary, elapsedMillis: now - started }
  })

const stopWith = (control: Control, reason: StopReason, message: string | null): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (!control.stopped) {
      control.stopped = true
      control.stoppedBy = reason
      control.stopMessage = message
    }
    return Deferred.succeed(control.signal, undefined)
  })

/** While the effect runs, a completed `stop` stops the batch: nothing new is started. */
const stopOnRequest =
  (stop: Effect.Effect<void> | undefined, control: Control) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    stop === undefined ? effect : Effect.raceFirst(
      effect,
      Effect.zipRight(Effect.zipRight(stop, stopWith(control, "Interrupted", "stopped on request")), Effect.never)
    )

const newControl = (): Control => ({
  signal: Deferred.unsafeMake<void>(FiberId.none),
  stopped: false,
  stoppedBy: null,
  stopMessage: null,
  capReached: false
})

/** @internal */
export const run = <E, R>(
  targets: Stream.Stream<Target, E, R>,
  options: Options = {}
): Effect.Effect<Summary, E | JournalError, R | AppleMusicRatings> => {
  const counters = makeCounters()
  return timed(withProgress(execute(targets, options, counters, newControl()), counters, options))
}

/** @internal */
export const outcomes = <E, R>(
  targets: Stream.Stream<Target, E, R>,
  options: Options = {}
): Stream.Stream<Outcome, E | JournalError, R | AppleMusicRatings> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const queue = yield* Queue.bounded<Take.Take<Outcome, E | JournalError>>(256)
    yield* run(targets, {
      ...options,
      onOutcome: (outcome) =>
        Effect.zipRight(options.onOutcome?.(outcome) ?? Effect.void, Queue.offer(queue, Take.of(outcome)))
    }).pipe(
      Effect.matchCauseEffect({
        onFailure: (cause) => Queue.offer(queue, Take.failCause(cause)),
        onSuccess: () => Queue.offer(queue, Take.end)
      }),
      Effect.forkScoped
    )
    return Stream.fromQueue(queue).pipe(Stream.flattenTake)
  }))

/** @internal */
export const sweep = (
  kind: LibraryRatingKind,
  options: SweepOptions = {}
): Effect.Effect<Summary, JournalError, AppleMusicRatings> =>
  Effect.gen(function*() {
    const service = yield* AppleMusicRatings
    const filter = options.value ?? "dislike"
    const counters = makeCounters()
    const control = newControl()
    const language = options.language === undefined ? {} : { language: options.language }
    let sourceError: RatingsError | undefined
    const found = service.listLibrary(kind, language).pipe(
      Stream.tap(() => Effect.sync(() => void counters.scanned++)),
      Stream.grouped(100),
      Stream.mapEffect((chunk) => {
        counters.operations += 2
        return service.getRatings(kind, Chunk.toReadonlyArray(chunk).map((item) => item.id), language)
      }),
      Stream.mapConcat((ratings) => ratings.filter((rating) => matches(filter, rating.value))),
      Stream.tap(() => Effect.sync(() => void counters.matched++)),
      Stream.map((rating): Target => ({ kind, id: rating.id, value: rating.value })),
      Stream.catchAll((error) => {
        sourceError = error
        return Stream.empty
      })
    )
    const confirm = options.confirm
    const targets = confirm === undefined ? found : Stream.unwrap(Effect.gen(function*() {
      const all = yield* Stream.runCollect(found)
      if (sourceError !== undefined || all.length === 0) return Stream.fromChunk(all)
      const yes = yield* confirm({ kind, value: filter, scanned: counters.scanned, matched: counters.matched })
      if (!yes) yield* stopWith(control, "Declined", "the sweep was not confirmed; nothing was deleted")
      return yes ? Stream.fromChunk(all) : Stream.empty
    }))
    const summary = yield* timed(withProgress(execute(targets, options, counters, control), counters, options))
    if (sourceError !== undefined && summary.stoppedBy === null) {
      return { ...summary, stoppedBy: sourceError._tag, stopMessage: sourceError.message }
    }
    return summary
  })

/**
 * The last word of the journal on every target it deleted (or may have: an
 * `intent` counts as a deletion until its outcome says otherwise), in order.
 */
const deletions = (journal: Journal): Effect.Effect<Map<string, Entry>, JournalError> =>
  Stream.runFold(journal.entries, new Map<string, Entry>(), (map, entry) => {
    const k = key(entry.kind, entry.id)
    if (entry.outcome === "deleted" || entry.outcome === "restored" || entry.outcome === "intent") {
      map.delete(k)
      map.set(k, entry.outcome === "intent" ? { ...entry, outcome: "deleted", confirmed: false } : entry)
    } else if (entry.outcome === "absent" && map.get(k)?.outcome === "deleted" && map.get(k)?.confirmed === false) {
      // Only a lookup before any DELETE writes `absent`: an earlier intent of the same target was never sent.
      map.delete(k)
    }
    return map
  })

/** @internal */
export const restore = (
  journal: Journal,
  options: RestoreOptions = {}
): Effect.Effect<RestoreSummary, JournalError, AppleMusicRatings> =>
  Effect.gen(function*() {
    const service = yield* AppleMusicRatings
    const counters = makeCounters()
    const control = newControl()
    const failures: Array<Failure> = []
    const unrecorded: Array<Unrecorded> = []
    const last = yield* deletions(journal)
    let restored = 0
    let skipped = 0
    const base = options.rate === undefined ? service.rateLimiter : yield* makeLimiter({ rate: options.rate })
    const limiter = observe(base, counters)
    const language = options.language === undefined ? {} : { language: options.language }
    const dryRun = options.dryRun ?? false
    const write = (entry: Entry, required: boolean) =>
      Effect.catchAll(appendDurably(journal, entry), (error) =>
        Effect.as(
          Effect.zipRight(
            Effect.sync(() => void (required ? undefined : unrecorded.push(unrecordedOf(entry)))),
            stopWith(control, "JournalError", error.message)
          ),
          false
        )).pipe(Effect.map((ok) => ok !== false))
    const put = (entry: Entry): Effect.Effect<void> =>
      Effect.uninterruptibleMask((restoreInterruption) =>
        Effect.gen(function*() {
          counters.requested++
          if (entry.outcome === "restored") {
            skipped++
            counters.skipped++
            return
          }
          if (control.stopped) return
          if (entry.value === undefined) {
            counters.failed++
            noteFailure(failures, {
              kind: entry.kind,
              id: entry.id,
              error: "UnknownValue",
              message: `the journal does not record the value ${entry.kind} ${entry.id} had, so it cannot be put back`
            })
            return
          }
          if (dryRun) {
            counters.planned++
            return
          }
          const value = entry.value
          const fields = { kind: entry.kind, id: entry.id, value }
          if (!(yield* restoreInterruption(waitSlot(base, control))) || control.stopped) return
          const now = new Date(yield* Clock.currentTimeMillis).toISOString()
          if (!(yield* write({ outcome: "restore-intent", ...fields, at: now }, true))) return
          counters.operations++
          counters.requests++
          const result = yield* Effect.either(
            withLimiter(service.setRating(entry.kind, entry.id, value, language), prepaid(limiter))
          )
          const at = new Date(yield* Clock.currentTimeMillis).toISOString()
          if (Either.isRight(result)) {
            restored++
            counters.deleted++
            yield* write({ outcome: "restored", ...fields, at }, false)
            return
          }
          const error = result.left
          counters.failed++
          noteFailure(failures, { kind: entry.kind, id: entry.id, error: error._tag, message: error.message })
          if (isAuthError(error)) yield* stopWith(control, error._tag, error.message)
          yield* write({ outcome: "restore-failed", ...fields, error: error._tag, message: error.message, at }, false)
        })
      )
    yield* withProgress(
      workers(
        Stream.fromIterable(last.values()).pipe(Stream.takeWhile(() => !control.stopped)),
        Math.max(1, Math.floor(options.concurrency ?? defaultConcurrency)),
        put
      ).pipe(withLimiter(limiter), stopOnRequest(options.stop, control)),
      counters,
      { ...options, total: last.size }
    )
    return {
      restored,
      planned: counters.planned,
      dryRun,
      failed: counters.failed,
      skipped,
      stoppedBy: control.stoppedBy,
      stopMessage: control.stopMessage,
      failures,
      unrecorded
    }
  })
