/**
 * Batch clean-up: delete a stream of ratings with bounded concurrency, one
 * shared rate limiter, retries, a cap, a dry run, progress, and a journal that
 * resumes and undoes. Sweep finds the ratings of a library kind first.
 *
 * Every target ends in exactly one outcome: `Deleted`, `Absent` (there was no
 * rating: not a failure), `Failed`, `Invalid` (never sent), `Skipped` (done
 * according to the journal, or a duplicate) or `Planned` (dry run); a restore's
 * targets end `Restored`, `Failed`, `Skipped` or `Planned`. `run`, `sweep` and
 * `restore` feed one engine: the same workers, limiter, cap, stop, journal and
 * progress. An
 * Unauthorized or Forbidden stops the batch: no new request is started, the
 * ones in flight settle and are recorded.
 *
 * @example
 * ```ts
 * import { AppleMusicRatings, Batch } from "@unrate/core"
 * import { Effect, Stream } from "effect"
 *
 * const targets = Stream.fromIterable(["i.a", "i.b"]).pipe(Stream.map((id) => ({ kind: "library-songs" as const, id })))
 *
 * const program: Effect.Effect<Batch.Summary, unknown, AppleMusicRatings.AppleMusicRatings> = targets.pipe(
 *   Batch.run({
 *     concurrency: 8,
 *     maxDeletions: 1000,
 *     onProgress: (progress) => Effect.log(`${progress.deleted} deleted`)
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Stream from "effect/Stream"
import type { AppleMusicRatings } from "./AppleMusicRatings.js"
import * as internal from "./internal/batch.js"
import type { EntryOutcome, Journal, JournalError } from "./Journal.js"
import type { LibraryRatingKind, RatingKind } from "./RatingKind.js"
import type { InvalidId, RatingsError } from "./RatingsError.js"
import type { RatingFilter, RatingValue } from "./RatingValue.js"

/**
 * A rating to delete. `value`, when known, is the rating it has (a sweep knows
 * it); otherwise a batch with a journal looks it up first.
 *
 * @since 0.1.0
 * @category models
 */
export interface Target {
  readonly kind: RatingKind
  readonly id: string
  readonly value?: RatingValue | undefined
}

/**
 * What happened to one target.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome =
  | {
    readonly _tag: "Deleted"
    readonly target: Target
    readonly value: RatingValue | undefined
    /** False when the DELETE was not answered 204 but may have been committed (a lost answer, then a 404). */
    readonly confirmed?: boolean | undefined
  }
  | {
    /**
     * A rating a restore put back, with the value it had.
     *
     * @since 0.2.0
     */
    readonly _tag: "Restored"
    readonly target: Target
    readonly value: RatingValue
  }
  | { readonly _tag: "Absent"; readonly target: Target }
  | { readonly _tag: "Failed"; readonly target: Target; readonly error: RatingsError }
  | { readonly _tag: "Invalid"; readonly target: Target; readonly error: InvalidId }
  | { readonly _tag: "Skipped"; readonly target: Target; readonly reason: "journal" | "duplicate" }
  | { readonly _tag: "Planned"; readonly target: Target }

/**
 * @since 0.1.0
 * @category models
 */
export type OutcomeTag = Outcome["_tag"]

/**
 * Why a batch stopped before its input ended: a refused token, a stop
 * request (Ctrl-C), a sweep whose `confirm` answered no, a journal that could
 * not be written, or a source that failed (the library listing of a sweep).
 *
 * @since 0.1.0
 * @category models
 */
export type StopReason =
  | "Unauthorized"
  | "Forbidden"
  | "Interrupted"
  | "Declined"
  | "JournalError"
  | RatingsError["_tag"]

/**
 * A snapshot of a running batch, for progress bars and logs.
 *
 * @since 0.1.0
 * @category models
 */
export interface Progress {
  /** Targets read so far. */
  readonly requested: number
  readonly deleted: number
  /**
   * Ratings a restore put back.
   *
   * @since 0.2.0
   */
  readonly restored: number
  readonly absent: number
  readonly failed: number
  readonly invalid: number
  readonly skipped: number
  readonly planned: number
  /**
   * HTTP requests sent, retries included, as the service counted them while
   * sending (a service not made by `AppleMusicRatings.make` counts none).
   */
  readonly requests: number
  /** Requests that were retries (of the same request). */
  readonly retries: number
  readonly elapsedMillis: number
  /** Requests per second since the start. */
  readonly requestsPerSecond: number
  /** Targets settled per second since the start. */
  readonly settledPerSecond: number
  /** The number of targets, when the caller said. */
  readonly total: number | undefined
  /** Seconds to go at the current pace, when the total is known. */
  readonly etaSeconds: number | undefined
  /** Library items read (sweep only). */
  readonly scanned: number
  /** Items whose rating matched (sweep only). */
  readonly matched: number
  /**
   * The library's size as its listing states it (sweep only; Apple's
   * `meta.total`, from the first page); undefined until a page states it, or
   * when the service never does (then `scanned` is the count so far).
   *
   * @since 0.3.0
   */
  readonly libraryTotal?: number | undefined
  /**
   * The rate the limiter allows now, in requests per second (`Infinity`: no
   * limit yet); undefined when the service paces itself.
   *
   * @since 0.3.0
   */
  readonly rate: number | undefined
  /** True for the last snapshot. */
  readonly done: boolean
}

/**
 * The rate of a batch's limiter, in requests per second: where it ended, and
 * the highest it reached (`Infinity`: no limit was needed).
 *
 * @since 0.3.0
 * @category models
 */
export interface RateSummary {
  readonly final: number
  readonly peak: number
}

/**
 * One failed target in a summary.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failure {
  readonly kind: RatingKind
  readonly id: string
  readonly error: string
  readonly message: string
}

/**
 * An outcome the journal could not take (it became unwritable mid-run): the
 * caller must keep it, or the undo of a deletion is lost.
 *
 * @since 0.2.0
 * @category models
 */
export interface Unrecorded {
  readonly kind: RatingKind
  readonly id: string
  readonly outcome: EntryOutcome
  readonly value: RatingValue | undefined
}

/**
 * The result of a batch.
 *
 * @since 0.1.0
 * @category models
 */
export interface Summary
  extends
    Omit<Progress, "done" | "total" | "etaSeconds" | "requestsPerSecond" | "settledPerSecond" | "rate" | "libraryTotal">
{
  readonly dryRun: boolean
  /**
   * The limiter's rate at the end and at its peak; undefined when the service
   * paces itself (no limiter the batch can see).
   *
   * @since 0.3.0
   */
  readonly rate?: RateSummary | undefined
  /** Null when the input was read to its end (or the cap was reached). */
  readonly stoppedBy: StopReason | null
  /** The message of the error that stopped the batch. */
  readonly stopMessage: string | null
  /** Whether the cap on deletions was reached. */
  readonly capReached: boolean
  /** The first 100 failed or invalid targets; the counts (and the journal) have them all. */
  readonly failures: ReadonlyArray<Failure>
  /**
   * Outcomes settled after the journal became unwritable (`stoppedBy:
   * "JournalError"`), which it does not hold: print them, keep them. Empty
   * otherwise.
   *
   * @since 0.2.0
   */
  readonly unrecorded: ReadonlyArray<Unrecorded>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Requests in flight at once. Default 8. */
  readonly concurrency?: number | undefined
  /**
   * The ceiling, in requests per second, of this batch's own limiter, shared by
   * every fiber: it starts at `initialRate` and probes upward while no 429
   * comes, never past this. Default: no ceiling when `initialRate` or
   * `fixedRate` is given; with none of the three, the client's own limiter.
   */
  readonly rate?: number | undefined
  /**
   * The rate, in requests per second, the batch's limiter starts probing from.
   * Default 20 (or `rate`, if lower).
   *
   * @since 0.3.0
   */
  readonly initialRate?: number | undefined
  /**
   * Exactly `rate` requests per second, no probing: the limiter starts at it,
   * slows down on 429s and comes back up to it, never past it.
   *
   * @since 0.3.0
   */
  readonly fixedRate?: boolean | undefined
  /** Send no DELETE: every target that would be deleted is `Planned`. */
  readonly dryRun?: boolean | undefined
  /** Delete (or plan) at most this many ratings, then stop. */
  readonly maxDeletions?: number | undefined
  /**
   * Record every outcome; skip what it says is done; look up values before
   * deleting. Each DELETE's intent (with the value) is appended, durably,
   * before it is sent; DELETEs a previous run began but did not settle are
   * looked up first (gone, they are recorded deleted, unconfirmed).
   */
  readonly journal?: Journal | undefined
  /** Apple's `l` parameter for every request. */
  readonly language?: string | undefined
  /** How many targets there are, for the ETA. */
  readonly total?: number | undefined
  /**
   * Called with every outcome as it lands. With a journal that has
   * `appendAll`, the outcome may not be in the journal yet: it is written
   * with the next intent, within 100 ms, or when the batch ends.
   */
  readonly onOutcome?: ((outcome: Outcome) => Effect.Effect<void>) | undefined
  /** Called with a snapshot every `progressInterval`, and once at the end. */
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
  /** Default 1 second. */
  readonly progressInterval?: Duration.DurationInput | undefined
  /**
   * When this completes, no new target is started and workers waiting on the
   * rate limiter give up at once (requests in flight settle and are
   * recorded); the batch ends with `stoppedBy: "Interrupted"`.
   */
  readonly stop?: Effect.Effect<void> | undefined
}

/**
 * Runs a batch to its end (or its stop) and answers the summary. Fails only
 * when the journal cannot be read at the start, or the input stream fails.
 * Dual: `Batch.run(targets, options)` or `targets.pipe(Batch.run(options))`.
 *
 * @since 0.1.0
 * @category running
 */
export const run: {
  (options?: Options): <E, R>(
    targets: Stream.Stream<Target, E, R>
  ) => Effect.Effect<Summary, E | JournalError, R | AppleMusicRatings>
  <E, R>(
    targets: Stream.Stream<Target, E, R>,
    options?: Options
  ): Effect.Effect<Summary, E | JournalError, R | AppleMusicRatings>
} = dual(internal.isTargets, internal.run)

/**
 * The outcomes of a batch as a stream, in the order they land.
 *
 * @since 0.1.0
 * @category running
 */
export const outcomes: <E, R>(
  targets: Stream.Stream<Target, E, R>,
  options?: Options
) => Stream.Stream<Outcome, E | JournalError, R | AppleMusicRatings> = internal.outcomes

/**
 * @since 0.1.0
 * @category models
 */
export interface SweepOptions extends Options {
  /** Which ratings to delete. Default `dislike`. */
  readonly value?: RatingFilter | undefined
  /**
   * Asked once the whole library is scanned and the matches are known, before
   * the first DELETE; `false` deletes nothing and ends the sweep with
   * `stoppedBy: "Declined"`. Without it the sweep deletes as it scans.
   *
   * @since 0.2.0
   */
  readonly confirm?: ((found: SweepFound) => Effect.Effect<boolean>) | undefined
}

/**
 * What a sweep found, for its `confirm` question.
 *
 * @since 0.2.0
 * @category models
 */
export interface SweepFound {
  readonly kind: LibraryRatingKind
  readonly value: RatingFilter
  /** Library items scanned. */
  readonly scanned: number
  /** Ratings that match `value`: what the sweep would delete. */
  readonly matched: number
}

/**
 * Pages a library kind (100 at a time), looks up ratings in batches of 100,
 * keeps those matching `value`, and deletes them through the engine. The
 * summary's `scanned` counts library items, `matched` the ratings kept; a
 * listing that fails stops the sweep with the error's tag.
 *
 * @since 0.1.0
 * @category running
 */
export const sweep: (
  kind: LibraryRatingKind,
  options?: SweepOptions
) => Effect.Effect<Summary, JournalError, AppleMusicRatings> = internal.sweep

/**
 * The result of a restore: a {@link Summary} whose `restored` counts the
 * ratings put back (`deleted` stays 0), `skipped` those already restored.
 *
 * @since 0.1.0
 * @category models
 */
export type RestoreSummary = Summary

/**
 * @since 0.1.0
 * @category models
 */
export interface RestoreOptions extends
  Pick<
    Options,
    "concurrency" | "rate" | "initialRate" | "fixedRate" | "language" | "onProgress" | "progressInterval" | "stop"
  >
{
  /**
   * Send no PUT: count what would be restored as `planned`.
   *
   * @since 0.2.0
   */
  readonly dryRun?: boolean | undefined
  /**
   * Called with every outcome as it lands: `Restored`, `Failed`, `Skipped` or `Planned`
   * (in the journal at once, or with the next intent when it has `appendAll`).
   *
   * @since 0.2.0
   */
  readonly onOutcome?: ((outcome: Outcome) => Effect.Effect<void>) | undefined
}

/**
 * Puts back every rating the journal says was deleted, with the value it had,
 * and records each as `restored` (the outcome `Restored`, counted in
 * `restored`); a second restore finds nothing left to do. It runs on the same
 * engine as {@link run}: the first PUT goes alone, each PUT's intent is made
 * durable before it is sent.
 *
 * @since 0.1.0
 * @category running
 */
export const restore: (
  journal: Journal,
  options?: RestoreOptions
) => Effect.Effect<RestoreSummary, JournalError, AppleMusicRatings> = internal.restore

/**
 * The summary of a batch that was declined before it sent anything (a
 * person answered no): `requested` targets, nothing else, `stoppedBy:
 * "Declined"`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const declined: (requested: number) => Summary = internal.declined
