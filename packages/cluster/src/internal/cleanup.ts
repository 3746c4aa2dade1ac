import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Activity from "@effect/workflow/Activity"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import * as AppleMusicRatings from "@unrate/core/AppleMusicRatings"
import * as Batch from "@unrate/core/Batch"
import type * as Journal from "@unrate/core/Journal"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Cleanup from "../Cleanup.js"
import { Team } from "../Team.js"
import { UserTokens } from "../UserTokens.js"
import * as SqlJournal from "./sqlJournal.js"

export const defaultChunkSize = 500

const cancelPollInterval = "250 millis"

export interface Settings {
  readonly chunkSize: number
  readonly concurrency: number
}

const zero: Cleanup.Summary = {
  requested: 0,
  deleted: 0,
  restored: 0,
  absent: 0,
  failed: 0,
  invalid: 0,
  skipped: 0,
  requests: 0,
  retries: 0,
  chunks: 0
}

const add = (a: Cleanup.Summary, b: Cleanup.Summary): Cleanup.Summary => ({
  requested: a.requested + b.requested,
  deleted: a.deleted + b.deleted,
  restored: a.restored + b.restored,
  absent: a.absent + b.absent,
  failed: a.failed + b.failed,
  invalid: a.invalid + b.invalid,
  skipped: a.skipped + b.skipped,
  requests: a.requests + b.requests,
  retries: a.retries + b.retries,
  chunks: a.chunks + b.chunks
})

const fromBatch = (summary: Batch.Summary): Cleanup.Summary => ({
  requested: summary.requested,
  deleted: summary.deleted,
  restored: summary.restored,
  absent: summary.absent,
  failed: summary.failed,
  invalid: summary.invalid,
  skipped: summary.skipped,
  requests: summary.requests,
  retries: summary.retries,
  chunks: 1
})

const isCancelled = (key: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ cancelled: unknown }>`SELECT cancelled FROM ${sql(SqlJournal.cleanupsTable)} WHERE key = ${key}`,
      (rows) => rows.length > 0 && Number(rows[0].cancelled) === 1
    )).pipe(Effect.orElseSucceed(() => false))

/** Completes once the clean-up is cancelled: the batch's `stop`. */
const cancelled = (key: string) =>
  Effect.asVoid(
    Effect.repeat(isCancelled(key), {
      schedule: Schedule.spaced(cancelPollInterval),
      until: (value) => value
    })
  )

/** Runs one batch for the user with their current token and the clean-up's SQL journal. */
const runBatch = (
  key: string,
  userId: string,
  batch: (
    journal: Journal.Journal,
    stop: Effect.Effect<void>
  ) => Effect.Effect<Batch.Summary, Journal.JournalError, AppleMusicRatings.AppleMusicRatings>
) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const stop = Effect.provideService(cancelled(key), SqlClient.SqlClient, sql)
    if (yield* isCancelled(key)) return yield* new Cleanup.CleanupCancelled({ key })
    const token = yield* Effect.mapError(
      Effect.flatMap(UserTokens, (tokens) => tokens.get(userId)),
      (error) => new Cleanup.CleanupForbidden({ userId, reason: "revoked", detail: error.message })
    )
    const team = yield* Team
    const ratings = yield* Effect.orDie(team.ratingsFor(token))
    const journal = yield* SqlJournal.make(key)
    const summary = yield* batch(journal, stop).pipe(
      Effect.provideService(AppleMusicRatings.AppleMusicRatings, ratings),
      Effect.orDie
    )
    if (summary.stoppedBy === "Forbidden" || summary.stoppedBy === "Unauthorized") {
      return yield* new Cleanup.CleanupForbidden({
        userId,
        reason: summary.stoppedBy === "Forbidden" ? "forbidden" : "unauthorized",
        detail: summary.stopMessage ?? summary.stoppedBy
      })
    }
    if (summary.stoppedBy === "Interrupted") return yield* new Cleanup.CleanupCancelled({ key })
    if (summary.stoppedBy === "JournalError") return yield* Effect.dieMessage(summary.stopMessage ?? "journal")
    return fromBatch(summary)
  })

const activity = <R>(name: string, execute: Effect.Effect<Cleanup.Summary, Cleanup.CleanupError, R>) =>
  Activity.make({ name, success: Cleanup.Summary, error: Cleanup.CleanupError, execute })

const chunksOf = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

const runCleanup = (settings: Settings) => (payload: Cleanup.Payload) =>
  Effect.gen(function*() {
    const task = payload.task
    if (task._tag === "Sweep") {
      return yield* activity(
        "sweep",
        runBatch(payload.key, payload.userId, (journal, stop) =>
          Batch.sweep(task.kind, { value: task.value, journal, stop, concurrency: settings.concurrency }))
      )
    }
    let total = zero
    for (const [index, ids] of chunksOf(task.ids, settings.chunkSize).entries()) {
      const targets = Stream.fromIterable(ids.map((id): Batch.Target => ({ kind: task.kind, id })))
      total = add(
        total,
        yield* activity(
          `chunk-${settings.chunkSize}-${index}`,
          runBatch(payload.key, payload.userId, (journal, stop) =>
            Batch.run(targets, { journal, stop, concurrency: settings.concurrency }))
        )
      )
    }
    return total
  })

const runUndo = (settings: Settings) => (payload: { readonly key: string; readonly userId: string }) =>
  activity(
    "restore",
    runBatch(payload.key, payload.userId, (journal, stop) =>
      Batch.restore(journal, { stop, concurrency: settings.concurrency }))
  )

export const layerWorkflows = (settings: Settings) =>
  Layer.mergeAll(Cleanup.Cleanup.toLayer(runCleanup(settings)), Cleanup.Undo.toLayer(runUndo(settings)))

interface Registered {
  readonly key: string
  readonly userId: string
  readonly executionId: string
  readonly undoExecutionId: string | null
}

const lookup = (key: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql<
        { key: string; user_id: string; execution_id: string; undo_execution_id: string | null }
      >`SELECT key, user_id, execution_id, undo_execution_id FROM ${sql(SqlJournal.cleanupsTable)} WHERE key = ${key}`
        .pipe(
          Effect.flatMap((rows) =>
            rows.length === 0 ? Effect.fail(new Cleanup.CleanupNotFound({ key })) : Effect.succeed<Registered>({
              key: rows[0].key,
              userId: rows[0].user_id,
              executionId: rows[0].execution_id,
              undoExecutionId: rows[0].undo_execution_id
            })
          )
        )
  )

export const start = (payload: Cleanup.Payload) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const executionId = yield* Cleanup.Cleanup.executionId(payload)
    yield* sql`INSERT INTO ${sql(SqlJournal.cleanupsTable)} ${
      sql.insert({ key: payload.key, user_id: payload.userId, execution_id: executionId, created_at: Date.now() })
    } ON CONFLICT (key) DO NOTHING`
    return yield* Cleanup.Cleanup.execute(payload, { discard: true })
  })

const progress = (key: string) =>
  Effect.zipWith(SqlJournal.counts(key), SqlJournal.unsettled(key), (counts, unsettled): Cleanup.Progress => ({
    deleted: counts.deleted ?? 0,
    restored: counts.restored ?? 0,
    absent: counts.absent ?? 0,
    failed: (counts.failed ?? 0) + (counts["restore-failed"] ?? 0),
    invalid: counts.invalid ?? 0,
    unsettled
  }))

type Result =
  | { readonly _tag: "Complete"; readonly exit: Exit.Exit<Cleanup.Summary, Cleanup.CleanupError> }
  | { readonly _tag: "Suspended" }

const statusOf = (
  key: string,
  result: Result | undefined
): Effect.Effect<Cleanup.Status, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.map(progress(key), (progress): Cleanup.Status => {
    if (result === undefined || result._tag === "Suspended") return { _tag: "Running", key, progress }
    const exit = result.exit
    if (exit._tag === "Success") return { _tag: "Completed", key, summary: exit.value, progress }
    const failure = Cause.failureOption(exit.cause)
    if (Option.isNone(failure)) {
      return Cause.isInterruptedOnly(exit.cause)
        ? { _tag: "Cancelled", key, progress }
        : { _tag: "Failed", key, message: Cause.pretty(exit.cause), progress }
    }
    return failure.value._tag === "CleanupCancelled"
      ? { _tag: "Cancelled", key, progress }
      : { _tag: "Forbidden", key, error: failure.value, progress }
  })

export const status = (key: string) =>
  Effect.gen(function*() {
    const registered = yield* lookup(key)
    const result = yield* Cleanup.Cleanup.poll(registered.executionId)
    return yield* statusOf(key, result)
  })

export const cancel = (
  key: string
): Effect.Effect<
  void,
  Cleanup.CleanupNotFound | SqlError.SqlError,
  WorkflowEngine | SqlClient.SqlClient
> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* lookup(key)
    yield* sql`UPDATE ${sql(SqlJournal.cleanupsTable)} SET cancelled = 1 WHERE key = ${key}`
  })

export const undo = (key: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const registered = yield* lookup(key)
    const current = yield* status(key)
    if (current._tag === "Running") return yield* new Cleanup.CleanupNotFinished({ key })
    const executionId = yield* Cleanup.Undo.execute({ key, userId: registered.userId }, { discard: true })
    yield* sql`UPDATE ${sql(SqlJournal.cleanupsTable)} SET undo_execution_id = ${executionId} WHERE key = ${key}`
    return executionId
  })

export const undoStatus = (key: string) =>
  Effect.gen(function*() {
    const registered = yield* lookup(key)
    if (registered.undoExecutionId === null) return yield* new Cleanup.CleanupNotFound({ key })
    const result = yield* Cleanup.Undo.poll(registered.undoExecutionId)
    return yield* statusOf(key, result)
  })
