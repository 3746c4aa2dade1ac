import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type * as Types from "effect/Types"
import type { Outcome, Target, Unrecorded } from "../Batch.js"
import type { Entry, Journal, JournalError } from "../Journal.js"
import { key } from "../Journal.js"

/**
 * Appends an entry, retrying a failed write twice at once before giving up;
 * the retries cost nothing until a write fails.
 *
 * @internal
 */
export const appendDurably = (journal: Journal, entry: Entry): Effect.Effect<void, JournalError> =>
  durably(journal.append(entry))

/** Any append (one entry or several), retried as {@link appendDurably} retries. @internal */
export const durably = (append: Effect.Effect<void, JournalError>): Effect.Effect<void, JournalError> =>
  Effect.catchAll(append, () => Effect.retry(append, Schedule.recurs(1)))

/** @internal */
export const unrecordedOf = (entry: Entry): Unrecorded => ({
  kind: entry.kind,
  id: entry.id,
  outcome: entry.outcome,
  value: entry.value
})

/**
 * The entry's common part; optional fields are added only when present (an
 * object spread per field would copy through V8's slow path, once per target).
 */
const baseEntry = (outcome: Entry["outcome"], target: Target, at: string): Types.Mutable<Entry> => ({
  outcome,
  kind: target.kind,
  id: target.id,
  at
})

const withValue = (entry: Types.Mutable<Entry>, value: Target["value"]): Types.Mutable<Entry> => {
  if (value !== undefined) entry.value = value
  return entry
}

const withError = (
  entry: Types.Mutable<Entry>,
  error: { readonly _tag: string; readonly message: string }
): Types.Mutable<Entry> => {
  entry.error = error._tag
  entry.message = error.message
  return entry
}

/** The intent of a request (a DELETE's or a restoring PUT's), with the value it removes or puts back. @internal */
export const intentOf = (outcome: "intent" | "restore-intent") => (target: Target, at: string): Entry =>
  withValue(baseEntry(outcome, target, at), target.value)

/** The journal entry of an outcome of a delete batch (a skip is not written). @internal */
export const deleteEntry = (outcome: Outcome, at: string): Entry | undefined => {
  switch (outcome._tag) {
    case "Deleted": {
      const entry = withValue(baseEntry("deleted", outcome.target, at), outcome.value)
      if (outcome.confirmed === false) entry.confirmed = false
      return entry
    }
    case "Absent":
      return baseEntry("absent", outcome.target, at)
    case "Failed":
      return withError(baseEntry("failed", outcome.target, at), outcome.error)
    case "Invalid":
      return withError(baseEntry("invalid", outcome.target, at), outcome.error)
    case "Planned":
      return baseEntry("planned", outcome.target, at)
    case "Skipped":
    case "Restored":
      return undefined
  }
}

/** The journal entry of an outcome of a restore: the PUTs sent, nothing else. @internal */
export const restoreEntry = (outcome: Outcome, at: string): Entry | undefined => {
  switch (outcome._tag) {
    case "Restored":
      return withValue(baseEntry("restored", outcome.target, at), outcome.target.value)
    case "Failed":
      return withError(withValue(baseEntry("restore-failed", outcome.target, at), outcome.target.value), outcome.error)
    default:
      return undefined
  }
}

/**
 * The last word of the journal on every target it deleted (or may have: an
 * `intent` counts as a deletion until its outcome says otherwise), in order.
 *
 * @internal
 */
export const deletions = (journal: Journal): Effect.Effect<Map<string, Entry>, JournalError> =>
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
