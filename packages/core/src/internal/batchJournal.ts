import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
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

const valueOf = (target: Target) => target.value === undefined ? {} : { value: target.value }

/** The intent of a request (a DELETE's or a restoring PUT's), with the value it removes or puts back. @internal */
export const intentOf = (outcome: "intent" | "restore-intent") => (target: Target, at: string): Entry => ({
  outcome,
  kind: target.kind,
  id: target.id,
  ...valueOf(target),
  at
})

/** The journal entry of an outcome of a delete batch (a skip is not written). @internal */
export const deleteEntry = (outcome: Outcome, at: string): Entry | undefined => {
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
    case "Restored":
      return undefined
  }
}

/** The journal entry of an outcome of a restore: the PUTs sent, nothing else. @internal */
export const restoreEntry = (outcome: Outcome, at: string): Entry | undefined => {
  const base = { kind: outcome.target.kind, id: outcome.target.id, ...valueOf(outcome.target), at }
  switch (outcome._tag) {
    case "Restored":
      return { outcome: "restored", ...base }
    case "Failed":
      return { outcome: "restore-failed", ...base, error: outcome.error._tag, message: outcome.error.message }
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
