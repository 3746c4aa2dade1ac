/**
 * A journal of a batch: one entry per outcome, appended as outcomes land.
 * It lets a batch resume (what is done is skipped) and be undone (`restore`
 * puts back every deleted rating with the value it had).
 *
 * This module holds the interface, the entry format and an in-memory journal;
 * `@unrate/platform/JournalFile` writes JSON Lines files.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { KeySet } from "./internal/keySet.js"
import { RatingKind } from "./RatingKind.js"
import { RatingValue } from "./RatingValue.js"

/**
 * What happened to one target. `restored` and `restore-failed` are written by
 * a restore.
 *
 * @since 0.1.0
 * @category models
 */
export const EntryOutcome = Schema.Literal(
  "deleted",
  "absent",
  "failed",
  "invalid",
  "planned",
  "restored",
  "restore-failed"
)

/**
 * @since 0.1.0
 * @category models
 */
export type EntryOutcome = typeof EntryOutcome.Type

/**
 * One line of a journal: `{"outcome":"deleted","kind":"library-songs","id":"i.…","value":-1,"at":"…"}`.
 * `value` is the rating the target had before it was deleted (when known);
 * failures carry the error's tag and message.
 *
 * @since 0.1.0
 * @category models
 */
export const Entry = Schema.Struct({
  outcome: EntryOutcome,
  kind: RatingKind,
  id: Schema.String,
  value: Schema.optional(RatingValue),
  error: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  at: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type Entry = typeof Entry.Type

/**
 * A journal that cannot be read or written.
 *
 * @since 0.1.0
 * @category errors
 */
export class JournalError extends Schema.TaggedError<JournalError>("@unrate/core/JournalError")("JournalError", {
  path: Schema.String,
  reason: Schema.String
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Journal ${this.path}: ${this.reason}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Journal {
  /** Where it lives, for messages. */
  readonly location: string
  /** Every entry, oldest first (a cut-off last line is left out). */
  readonly entries: Stream.Stream<Entry, JournalError>
  /** Appends one entry; it is written through before this completes. */
  readonly append: (entry: Entry) => Effect.Effect<void, JournalError>
}

/**
 * The key of a target in sets of done targets: `kind/id`.
 *
 * @since 0.1.0
 * @category keys
 */
export const key = (kind: RatingKind, id: string): string => `${kind}/${id}`

/**
 * A set of targets, by {@link key}.
 *
 * @since 0.1.0
 * @category models
 */
export interface TargetSet {
  readonly has: (key: string) => boolean
  readonly add: (key: string) => void
  readonly delete: (key: string) => void
  readonly size: number
}

/**
 * An empty target set that stores 8 bytes per target (a 64-bit fingerprint),
 * so a million targets cost about 16 MB.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTargetSet = (): TargetSet => new KeySet()

/**
 * The targets a journal says are done: deleted or absent, and not restored
 * since.
 *
 * @since 0.1.0
 * @category reading
 */
export const done = (journal: Journal): Effect.Effect<TargetSet, JournalError> =>
  Stream.runFold(journal.entries, makeTargetSet(), (set, entry) => {
    if (entry.outcome === "deleted" || entry.outcome === "absent") set.add(key(entry.kind, entry.id))
    else if (entry.outcome === "restored") set.delete(key(entry.kind, entry.id))
    return set
  })

/**
 * A journal held in memory, for tests.
 *
 * @since 0.1.0
 * @category constructors
 */
export const memory = (initial: Iterable<Entry> = []): Effect.Effect<Journal & { readonly lines: Array<Entry> }> =>
  Effect.sync(() => {
    const lines = [...initial]
    return {
      location: "memory",
      lines,
      entries: Stream.suspend(() => Stream.fromIterable([...lines])),
      append: (entry) => Effect.sync(() => void lines.push(entry))
    }
  })
