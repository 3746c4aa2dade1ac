/**
 * A journal of a clean-up in the SQL database (a second implementation of
 * core's `Journal`): one row per entry in `unrate_journal`, keyed by the
 * clean-up's key, so any runner that picks the clean-up up resumes it, and
 * any runner can undo it. Each `append` is one committed INSERT.
 *
 * @since 0.3.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type * as Journal from "@unrate/core/Journal"
import type * as Effect from "effect/Effect"
import * as internal from "./internal/sqlJournal.js"

/**
 * The table of journal entries.
 *
 * @since 0.3.0
 * @category constants
 */
export const table: string = internal.table

/**
 * Creates the tables (journal entries, the clean-ups started, the teams'
 * learned rates) when missing.
 *
 * @since 0.3.0
 * @category schema
 */
export const migrate: Effect.Effect<void, SqlError.SqlError, SqlClient.SqlClient> = internal.migrate

/**
 * The journal of one clean-up, by its key.
 *
 * @since 0.3.0
 * @category constructors
 */
export const make: (cleanup: string) => Effect.Effect<Journal.Journal, never, SqlClient.SqlClient> = internal.make
