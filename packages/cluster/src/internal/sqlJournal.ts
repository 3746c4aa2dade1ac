import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Journal from "@unrate/core/Journal"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

export const table = "unrate_journal"

export const cleanupsTable = "unrate_cleanups"

export const teamRatesTable = "unrate_team_rates"

const pageSize = 1_000

const decodeEntry = Schema.decodeUnknown(Journal.Entry)

const toEntry = (row: Record<string, unknown>) =>
  decodeEntry({
    outcome: row.outcome,
    kind: row.kind,
    id: row.id,
    at: row.at,
    ...(row.value === null ? {} : { value: Number(row.value) }),
    ...(row.error === null ? {} : { error: row.error }),
    ...(row.message === null ? {} : { message: row.message }),
    ...(row.confirmed === null ? {} : { confirmed: Number(row.confirmed) === 1 })
  })

/** Runners starting together on PostgreSQL would race on CREATE TABLE: the first takes a lock, the others wait. */
export const migrate: Effect.Effect<void, SqlError.SqlError, SqlClient.SqlClient> = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    sql.withTransaction(
      Effect.zipRight(
        sql.onDialectOrElse({
          pg: () => Effect.asVoid(sql`SELECT pg_advisory_xact_lock(7141)`),
          orElse: () => Effect.void
        }),
        createTables
      )
    )
)

const createTables = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const seq = sql.onDialectOrElse({
    pg: () => "BIGSERIAL PRIMARY KEY",
    mysql: () => "BIGINT AUTO_INCREMENT PRIMARY KEY",
    orElse: () => "INTEGER PRIMARY KEY AUTOINCREMENT"
  })
  yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS ${table} (
    seq ${seq},
    cleanup VARCHAR(255) NOT NULL,
    outcome VARCHAR(32) NOT NULL,
    kind VARCHAR(64) NOT NULL,
    id VARCHAR(255) NOT NULL,
    value INTEGER,
    error VARCHAR(255),
    message TEXT,
    confirmed INTEGER,
    at VARCHAR(64) NOT NULL
  )`)
  yield* sql.unsafe(`CREATE INDEX IF NOT EXISTS ${table}_cleanup ON ${table} (cleanup, seq)`)
  yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS ${cleanupsTable} (
    key VARCHAR(255) PRIMARY KEY,
    user_id VARCHAR(255) NOT NULL,
    execution_id VARCHAR(255) NOT NULL,
    undo_execution_id VARCHAR(255),
    cancelled INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
  )`)
  yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS ${teamRatesTable} (
    team VARCHAR(255) PRIMARY KEY,
    rate DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL
  )`)
})

const fail = (location: string) => (error: unknown) =>
  new Journal.JournalError({ path: location, reason: error instanceof Error ? error.message : String(error) })

const readPage = (sql: SqlClient.SqlClient, cleanup: string, after: number) =>
  Effect.flatMap(
    sql<Record<string, unknown>>`SELECT seq, outcome, kind, id, value, error, message, confirmed, at FROM ${
      sql(table)
    } WHERE cleanup = ${cleanup} AND seq > ${after} ORDER BY seq LIMIT ${pageSize}`,
    (rows) =>
      Effect.map(Effect.forEach(rows, toEntry), (entries) => {
        const last = rows.length === 0 ? after : Number(rows[rows.length - 1].seq)
        return [Chunk.unsafeFromArray(entries), rows.length < pageSize ? Option.none() : Option.some(last)] as const
      })
  )

export const make = (cleanup: string): Effect.Effect<Journal.Journal, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql) => {
    const location = `sql:${table}/${cleanup}`
    return {
      location,
      entries: Stream.paginateChunkEffect(
        0,
        (after: number) => Effect.mapError(readPage(sql, cleanup, after), fail(location))
      ),
      append: (entry) =>
        sql`INSERT INTO ${sql(table)} ${
          sql.insert({
            cleanup,
            outcome: entry.outcome,
            kind: entry.kind,
            id: entry.id,
            value: entry.value ?? null,
            error: entry.error ?? null,
            message: entry.message ?? null,
            confirmed: entry.confirmed === undefined ? null : entry.confirmed ? 1 : 0,
            at: entry.at
          })
        }`.pipe(Effect.asVoid, Effect.mapError(fail(location)))
    }
  })

/** Outcomes recorded so far, by outcome. */
export const counts = (cleanup: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql<{ outcome: string; n: unknown }>`SELECT outcome, COUNT(*) AS n FROM ${
        sql(table)
      } WHERE cleanup = ${cleanup} AND outcome <> 'intent' AND outcome <> 'restore-intent' GROUP BY outcome`.pipe(
        Effect.map((rows) =>
          Object.fromEntries(rows.map((row) => [row.outcome, Number(row.n)])) as Record<string, number>
        )
      )
  )

/**
 * Targets whose last word in the journal is an `intent`: begun, not settled by a `deleted`, `absent` or `restored`
 * entry (core's `Journal.read` reads the same entries as unsettled).
 */
export const unsettled = (cleanup: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql<{ n: unknown }>`SELECT COUNT(*) AS n FROM (
        SELECT outcome, ROW_NUMBER() OVER (PARTITION BY kind, id ORDER BY seq DESC) AS rn FROM ${sql(table)}
        WHERE cleanup = ${cleanup} AND outcome IN ('intent', 'deleted', 'absent', 'restored')
      ) latest WHERE rn = 1 AND outcome = 'intent'`.pipe(Effect.map((rows) => Number(rows[0]?.n ?? 0)))
  )
