/**
 * A clean-up of one user's ratings as a durable workflow: the `Cleanup`
 * workflow deletes a list of ids (in chunks, each an `Activity` run through
 * core's batch engine) or sweeps a library kind by value; its journal lives in
 * the SQL database, so whichever runner picks it up resumes where it stopped,
 * and the `Undo` workflow puts back what it deleted.
 *
 * @example
 * ```ts
 * import { Cleanup } from "@unrate/cluster"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   yield* Cleanup.start({
 *     key: "order-42",
 *     userId: "user-1",
 *     task: { _tag: "Ids", kind: "library-songs", ids: ["i.a", "i.b"] }
 *   })
 *   return yield* Cleanup.status("order-42")
 * })
 * ```
 *
 * @since 0.3.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Workflow from "@effect/workflow/Workflow"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import { LibraryRatingKind, RatingKind } from "@unrate/core/RatingKind"
import { RatingFilter } from "@unrate/core/RatingValue"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as internal from "./internal/cleanup.js"

/**
 * Delete these ids, all of one kind.
 *
 * @since 0.3.0
 * @category models
 */
export const Ids = Schema.TaggedStruct("Ids", { kind: RatingKind, ids: Schema.Array(Schema.String) })

/**
 * Delete the ratings of a library kind that match `value`.
 *
 * @since 0.3.0
 * @category models
 */
export const Sweep = Schema.TaggedStruct("Sweep", { kind: LibraryRatingKind, value: RatingFilter })

/**
 * What a clean-up deletes.
 *
 * @since 0.3.0
 * @category models
 */
export const Task = Schema.Union(Ids, Sweep)

/**
 * @since 0.3.0
 * @category models
 */
export type Task = typeof Task.Type

/**
 * A clean-up: the caller's key (starting twice with one key starts one
 * clean-up), the user and the task.
 *
 * @since 0.3.0
 * @category models
 */
export const Payload = Schema.Struct({ key: Schema.String, userId: Schema.String, task: Task })

/**
 * @since 0.3.0
 * @category models
 */
export type Payload = typeof Payload.Type

/**
 * The counts of a clean-up (or of an undo), summed over its chunks.
 *
 * @since 0.3.0
 * @category models
 */
export const Summary = Schema.Struct({
  requested: Schema.Number,
  deleted: Schema.Number,
  restored: Schema.Number,
  absent: Schema.Number,
  failed: Schema.Number,
  invalid: Schema.Number,
  skipped: Schema.Number,
  requests: Schema.Number,
  retries: Schema.Number,
  chunks: Schema.Number
})

/**
 * @since 0.3.0
 * @category models
 */
export type Summary = typeof Summary.Type

/**
 * Apple refused the user's token (403 or 401), or the app says the user
 * revoked it: the user's clean-up ends here, other users' go on.
 *
 * @since 0.3.0
 * @category errors
 */
export class CleanupForbidden extends Schema.TaggedError<CleanupForbidden>("@unrate/cluster/CleanupForbidden")(
  "CleanupForbidden",
  {
    userId: Schema.String,
    reason: Schema.Literal("forbidden", "unauthorized", "revoked"),
    detail: Schema.String
  }
) {
  /**
   * @since 0.3.0
   */
  override get message(): string {
    return `The clean-up of ${this.userId} is ${this.reason}: ${this.detail}`
  }
}

/**
 * The clean-up was cancelled (see {@link cancel}).
 *
 * @since 0.3.0
 * @category errors
 */
export class CleanupCancelled extends Schema.TaggedError<CleanupCancelled>("@unrate/cluster/CleanupCancelled")(
  "CleanupCancelled",
  { key: Schema.String }
) {}

/**
 * How a clean-up (or an undo) ends other than completed.
 *
 * @since 0.3.0
 * @category errors
 */
export const CleanupError = Schema.Union(CleanupForbidden, CleanupCancelled)

/**
 * @since 0.3.0
 * @category errors
 */
export type CleanupError = typeof CleanupError.Type

/**
 * No clean-up was started with this key.
 *
 * @since 0.3.0
 * @category errors
 */
export class CleanupNotFound extends Schema.TaggedError<CleanupNotFound>("@unrate/cluster/CleanupNotFound")(
  "CleanupNotFound",
  { key: Schema.String }
) {}

/**
 * An undo was asked for a clean-up that has not finished.
 *
 * @since 0.3.0
 * @category errors
 */
export class CleanupNotFinished extends Schema.TaggedError<CleanupNotFinished>("@unrate/cluster/CleanupNotFinished")(
  "CleanupNotFinished",
  { key: Schema.String }
) {}

/**
 * The clean-up workflow: its execution id is derived from the payload's `key`.
 *
 * @since 0.3.0
 * @category workflows
 */
export const Cleanup = Workflow.make({
  name: "unrate/Cleanup",
  payload: Payload,
  success: Summary,
  error: CleanupError,
  idempotencyKey: (payload) => payload.key
})

/**
 * The undo of a finished clean-up: restores every rating its journal says was
 * deleted, with the value it had. One undo per clean-up key.
 *
 * @since 0.3.0
 * @category workflows
 */
export const Undo = Workflow.make({
  name: "unrate/Undo",
  payload: { key: Schema.String, userId: Schema.String },
  success: Summary,
  error: CleanupError,
  idempotencyKey: (payload) => payload.key
})

/**
 * Where a clean-up (or an undo) is. `progress` counts the outcomes its
 * journal holds so far.
 *
 * @since 0.3.0
 * @category models
 */
export type Status =
  | { readonly _tag: "Running"; readonly key: string; readonly progress: Progress }
  | { readonly _tag: "Completed"; readonly key: string; readonly summary: Summary; readonly progress: Progress }
  | { readonly _tag: "Forbidden"; readonly key: string; readonly error: CleanupForbidden; readonly progress: Progress }
  | { readonly _tag: "Cancelled"; readonly key: string; readonly progress: Progress }
  | { readonly _tag: "Failed"; readonly key: string; readonly message: string; readonly progress: Progress }

/**
 * Outcomes recorded so far.
 *
 * @since 0.3.0
 * @category models
 */
export interface Progress {
  readonly deleted: number
  readonly restored: number
  readonly absent: number
  readonly failed: number
  readonly invalid: number
  /**
   * Targets whose DELETE was begun (its intent journaled) but whose outcome
   * the journal does not know: the runner stopped between the request and its
   * outcome, and no later run could look the target up (the user's token was
   * refused, the clean-up ended first). Each may or may not be deleted; an
   * undo puts them back like the deleted ones. 0 once a clean-up completes.
   *
   * @since 0.3.0
   */
  readonly unsettled: number
}

/**
 * Targets per chunk: each chunk is one activity, one batch.
 *
 * @since 0.3.0
 * @category constants
 */
export const defaultChunkSize: number = internal.defaultChunkSize

/**
 * Starts a clean-up, once per key: a second start with the same key answers
 * the same clean-up and starts nothing. Answers the execution id.
 *
 * @since 0.3.0
 * @category api
 */
export const start: (
  payload: Payload
) => Effect.Effect<string, SqlError.SqlError, WorkflowEngine | SqlClient.SqlClient> = internal.start

/**
 * The status of a clean-up.
 *
 * @since 0.3.0
 * @category api
 */
export const status: (
  key: string
) => Effect.Effect<Status, CleanupNotFound | SqlError.SqlError, WorkflowEngine | SqlClient.SqlClient> = internal.status

/**
 * Cancels a running clean-up (or its running undo): no new target is
 * started, requests in flight settle and are journaled; what is done stays
 * done (and a cancelled clean-up can be undone).
 *
 * @since 0.3.0
 * @category api
 */
export const cancel: (
  key: string
) => Effect.Effect<void, CleanupNotFound | SqlError.SqlError, WorkflowEngine | SqlClient.SqlClient> = internal.cancel

/**
 * Undoes a finished (completed, forbidden or cancelled) clean-up, once:
 * answers the undo's execution id. Its status is {@link undoStatus}.
 *
 * @since 0.3.0
 * @category api
 */
export const undo: (
  key: string
) => Effect.Effect<
  string,
  CleanupNotFound | CleanupNotFinished | SqlError.SqlError,
  WorkflowEngine | SqlClient.SqlClient
> = internal.undo

/**
 * The status of the undo of a clean-up.
 *
 * @since 0.3.0
 * @category api
 */
export const undoStatus: (
  key: string
) => Effect.Effect<Status, CleanupNotFound | SqlError.SqlError, WorkflowEngine | SqlClient.SqlClient> =
  internal.undoStatus
