import type { AppleMusicRatings, Journal } from "@unrate/core"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Predicate from "effect/Predicate"
import type { Progress } from "./output.js"
import { makeProgress } from "./output.js"
import { ProcessTag, UsageError } from "./runtime.js"

/**
 * The one way the CLI runs the batch engine, for `delete`, `sweep`, `restore` and `demo`: progress on
 * stderr, the first Ctrl-C asks for a graceful stop, the journal is opened in the run's scope, the client
 * is provided, and a journal that cannot be written or read is a usage error.
 */

/** What a run needs besides the engine call itself. @internal */
export interface EngineRun<J, EJ, RJ, EC> {
  /** The progress label: `delete library-songs`, `restore`. */
  readonly label: string
  /** `--json`: no progress display. */
  readonly json: boolean
  /** How many targets, when known, for the progress bar. */
  readonly total?: number | undefined
  /** Opens the journal (or answers `undefined`), in the run's scope. */
  readonly journal: Effect.Effect<J, EJ, RJ>
  readonly client: Layer.Layer<AppleMusicRatings.AppleMusicRatings, EC>
}

/** What the engine call gets: the open journal, the progress display, and the options every run passes. @internal */
export interface EngineControls<J> {
  readonly journal: J
  readonly progress: Progress
  /** Progress callbacks and the graceful stop, to spread into the engine's options. */
  readonly options: Progress["options"] & { readonly stop: Effect.Effect<void> }
}

const isJournalError = (error: unknown): error is Journal.JournalError => Predicate.isTagged(error, "JournalError")

/** Runs one engine call (`Batch.run`, `Batch.sweep`, `Batch.restore`) the CLI's way. @internal */
export const runEngine = <J, EJ, RJ, EC, A, E, R>(
  run: EngineRun<J, EJ, RJ, EC>,
  start: (controls: EngineControls<J>) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const io = yield* ProcessTag
    const progress = yield* makeProgress(run.label, { json: run.json, total: run.total })
    yield* io.stopGracefully
    return yield* Effect.flatMap(
      run.journal,
      (journal) => start({ journal, progress, options: { ...progress.options, stop: io.stopRequested } })
    ).pipe(
      Effect.scoped,
      Effect.provide(run.client),
      Effect.catchIf(
        (error): error is Extract<E | EJ | EC, Journal.JournalError> => isJournalError(error),
        (error) => Effect.fail(new UsageError({ problem: error.message }))
      )
    )
  })
