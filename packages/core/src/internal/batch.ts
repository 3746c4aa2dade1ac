import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as Take from "effect/Take"
import { AppleMusicRatings } from "../AppleMusicRatings.js"
import type { Options, Outcome, RestoreOptions, Summary, SweepOptions, Target } from "../Batch.js"
import type { Entry, Journal, JournalError } from "../Journal.js"
import { key, makeTargetSet, read as readJournal } from "../Journal.js"
import * as RatingId from "../RatingId.js"
import type { LibraryRatingKind } from "../RatingKind.js"
import { isRatingKind } from "../RatingKind.js"
import type { RatingsError } from "../RatingsError.js"
import { InvalidId } from "../RatingsError.js"
import { matches } from "../RatingValue.js"
import type { Action, Item } from "./batchEngine.js"
import { execute, settled } from "./batchEngine.js"
import * as journalOf from "./batchJournal.js"
import { makeLookup } from "./batchLookup.js"
import type { State } from "./batchState.js"
import { makeState, stopWith, summaryOf } from "./batchState.js"

const deleteAction = (journaled: boolean): Action => ({
  send: (service, target, options) => service.deleteRating(target.kind, target.id, options),
  settle: (target, result) => {
    if (Either.isRight(result)) return { _tag: "Deleted", target, value: target.value }
    const error = result.left
    // With an intent written, a 404 may follow our own earlier attempt, committed with its answer lost.
    if (error._tag === "NotFound" && journaled) {
      return { _tag: "Deleted", target, value: target.value, confirmed: false }
    }
    return error._tag === "NotFound" ? { _tag: "Absent", target } : { _tag: "Failed", target, error }
  },
  intent: journalOf.intentOf("intent"),
  entryOf: journalOf.deleteEntry
})

const restoreAction: Action = {
  send: (service, target, options) => service.setRating(target.kind, target.id, target.value!, options),
  settle: (target, result) =>
    Either.isRight(result)
      ? { _tag: "Restored", target, value: target.value! }
      : { _tag: "Failed", target, error: result.left },
  intent: journalOf.intentOf("restore-intent"),
  entryOf: journalOf.restoreEntry
}

/** Checks a target: an invalid one is settled, one done (per the journal) or seen already is skipped. */
const classify =
  (state: State, seen: ReturnType<typeof makeTargetSet>, journaled: boolean) => (target: Target): Item => {
    state.counters.requested++
    const checked = isRatingKind(target.kind)
      ? RatingId.validate(target.kind, target.id)
      : Either.left(new InvalidId({ id: String(target.id), reason: `'${String(target.kind)}' is not a rating kind` }))
    if (Either.isLeft(checked)) return settled({ _tag: "Invalid", target, error: checked.left })
    const k = key(target.kind, target.id)
    if (seen.has(k)) return settled({ _tag: "Skipped", target, reason: journaled ? "journal" : "duplicate" })
    seen.add(k)
    return { _tag: "Pending", target }
  }

/**
 * The items of a delete batch: the targets, checked; with a journal, values
 * looked up. DELETEs a previous run began but did not settle (`begun`): when
 * the input names them again they are looked up first; gone, they are
 * deleted-unconfirmed. Those it does not name stay intents, which restore puts back.
 */
const deleteItems = <E, R>(state: State, targets: Stream.Stream<Target, E, R>, options: Options) =>
  Effect.gen(function*() {
    const service = yield* AppleMusicRatings
    const journal = options.journal
    const dryRun = options.dryRun ?? false
    const journalState = journal === undefined ? undefined : yield* readJournal(journal)
    const unsettled = journalState === undefined || dryRun ? [] : journalState.unsettled
    const begun = new Map(unsettled.map((u) => [key(u.kind, u.id), u.value]))
    const classified = targets.pipe(
      Stream.takeWhile(() => !state.control.stopped),
      Stream.map(classify(state, journalState?.done ?? makeTargetSet(), journal !== undefined))
    )
    if (journal === undefined || dryRun) return classified
    const language = options.language === undefined ? {} : { language: options.language }
    return classified.pipe(
      Stream.grouped(100),
      // The next hundred are looked up while the workers send the last: no wait for a GET between them.
      Stream.mapEffect(makeLookup(service, state, language, begun), { concurrency: 2 }),
      Stream.flattenIterables
    )
  })

const runWith = <E, R>(
  state: State,
  targets: Stream.Stream<Target, E, R>,
  options: Options
): Effect.Effect<Summary, E | JournalError, R | AppleMusicRatings> =>
  Effect.flatMap(
    deleteItems(state, targets, options),
    (items) => execute(state, items, deleteAction(options.journal !== undefined), options)
  )

/** @internal */
export const run = <E, R>(
  targets: Stream.Stream<Target, E, R>,
  options: Options = {}
): Effect.Effect<Summary, E | JournalError, R | AppleMusicRatings> => runWith(makeState(), targets, options)

/** @internal */
export const isTargets = (args: IArguments): boolean =>
  typeof args[0] === "object" && args[0] !== null && Stream.StreamTypeId in args[0]

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

/** Sweep's targets: the library, paged, looked up 100 at a time, kept when they match; a failing listing ends them. */
const found = (state: State, kind: LibraryRatingKind, options: SweepOptions, onError: (e: RatingsError) => void) =>
  Effect.map(AppleMusicRatings, (service) => {
    const language = options.language === undefined ? {} : { language: options.language }
    const counters = state.counters
    const onTotal = (total: number) => Effect.sync(() => void (counters.libraryTotal = total))
    return service.listLibrary(kind, { ...language, onTotal }).pipe(
      // A stop (Ctrl-C) ends the scan too, also while a page waits on the limiter.
      Stream.interruptWhen(Deferred.await(state.control.signal)),
      Stream.tap(() => Effect.sync(() => void counters.scanned++)),
      Stream.grouped(100),
      Stream.mapEffect((chunk) =>
        service.getRatings(kind, Chunk.toReadonlyArray(chunk).map((item) => item.id), language)
      ),
      Stream.mapConcat((ratings) => ratings.filter((rating) => matches(options.value ?? "dislike", rating.value))),
      Stream.tap(() => Effect.sync(() => void counters.matched++)),
      Stream.map((rating): Target => ({ kind, id: rating.id, value: rating.value })),
      Stream.catchAll((error) => {
        onError(error)
        return Stream.empty
      })
    )
  })

/** @internal */
export const sweep = (
  kind: LibraryRatingKind,
  options: SweepOptions = {}
): Effect.Effect<Summary, JournalError, AppleMusicRatings> =>
  Effect.gen(function*() {
    const state = makeState()
    let sourceError: RatingsError | undefined
    const matching = yield* found(state, kind, options, (error) => void (sourceError = error))
    const confirm = options.confirm
    const targets = confirm === undefined ? matching : Stream.unwrap(Effect.gen(function*() {
      const all = yield* Stream.runCollect(matching)
      if (sourceError !== undefined || all.length === 0 || state.control.stopped) return Stream.fromChunk(all)
      const { matched, scanned } = state.counters
      const yes = yield* confirm({ kind, value: options.value ?? "dislike", scanned, matched })
      if (!yes) yield* stopWith(state.control, "Declined", "the sweep was not confirmed; nothing was deleted")
      return yes ? Stream.fromChunk(all) : Stream.empty
    }))
    const summary = yield* runWith(state, targets, options)
    if (sourceError !== undefined && summary.stoppedBy === null) {
      return { ...summary, stoppedBy: sourceError._tag, stopMessage: sourceError.message }
    }
    return summary
  })

/** A journal's deletion as restore's item: already restored (skipped), without a value (failed), or to PUT. */
const restoreItem = (state: State) => (entry: Entry): Item => {
  state.counters.requested++
  const target: Target = { kind: entry.kind, id: entry.id, value: entry.value }
  if (entry.outcome === "restored") return settled({ _tag: "Skipped", target, reason: "journal" })
  if (entry.value !== undefined) return { _tag: "Pending", target }
  return {
    _tag: "Unsendable",
    failure: {
      kind: entry.kind,
      id: entry.id,
      error: "UnknownValue",
      message: `the journal does not record the value ${entry.kind} ${entry.id} had, so it cannot be put back`
    }
  }
}

/** @internal */
export const restore = (
  journal: Journal,
  options: RestoreOptions = {}
): Effect.Effect<Summary, JournalError, AppleMusicRatings> =>
  Effect.gen(function*() {
    const state = makeState()
    const last = yield* journalOf.deletions(journal)
    const items = Stream.fromIterable(last.values()).pipe(Stream.map(restoreItem(state)))
    return yield* execute(state, items, restoreAction, { ...options, journal, total: last.size })
  })

/** @internal */
export const declined = (requested: number): Summary => {
  const state = makeState()
  state.counters.requested = requested
  state.control.stopped = true
  state.control.stoppedBy = "Declined"
  state.control.stopMessage = "not confirmed; nothing was deleted"
  return summaryOf(state, false, 0)
}
