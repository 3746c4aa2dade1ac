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
 * What happened to one target. `intent` is written (and made durable) before a
 * DELETE is sent, `restore-intent` before a restore's PUT; the outcome follows.
 * `restored` and `restore-failed` are written by a restore. A `deleted` entry
 * with `confirmed: false` is a DELETE that may have been committed without an
 * answer: a restore puts it back like any other.
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
  "restore-failed",
  "intent",
  "restore-intent"
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
  /** False on a `deleted` entry whose DELETE was not answered 204 (the answer was lost, or a retry found nothing). */
  confirmed: Schema.optional(Schema.Boolean),
  at: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type Entry = typeof Entry.Type

/**
 * The journal format this version writes. Version 2 files start with a
 * {@link Header} line and hold `intent` lines; a file without a header is
 * version 1 (outcome lines only) and still reads.
 *
 * @since 0.2.0
 * @category models
 */
export const formatVersion = 2

/**
 * The first line of a version-2 journal file: `{"journal":"unrate","version":2,"created":"…"}`.
 *
 * @since 0.2.0
 * @category models
 */
export const Header = Schema.Struct({
  journal: Schema.Literal("unrate"),
  version: Schema.Int,
  created: Schema.optional(Schema.String)
})

/**
 * @since 0.2.0
 * @category models
 */
export type Header = typeof Header.Type

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
  /** Appends one entry; it is durable (written and synced, for a file) before this completes. */
  readonly append: (entry: Entry) => Effect.Effect<void, JournalError>
  /**
   * Appends entries in their order, all of them durable before this
   * completes, or none if it fails. Optional: with it, a batch writes each
   * outcome with the next intent (or within 100 ms), one durable write a
   * request instead of two; without it, each entry is appended on its own.
   * The journals made here and by `JournalFile` keep it non-enumerable, so a
   * journal made by spreading one (`{ ...journal, append }`) does not carry
   * it over: its own `append` then sees every entry.
   *
   * @since 0.3.0
   */
  readonly appendAll?: ((entries: ReadonlyArray<Entry>) => Effect.Effect<void, JournalError>) | undefined
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
  Effect.map(read(journal), (state) => state.done)

/**
 * A DELETE whose intent is in the journal but whose outcome is not: it may
 * have been committed.
 *
 * @since 0.2.0
 * @category models
 */
export interface Unsettled {
  readonly kind: RatingKind
  readonly id: string
  readonly value: RatingValue | undefined
}

/**
 * What a journal says: the targets done (see {@link done}) and the DELETEs
 * begun but not settled (an `intent` with no `deleted`, `absent` or `restored`
 * after it: a `failed` DELETE may have been committed by an attempt whose
 * answer was lost), oldest first.
 *
 * @since 0.2.0
 * @category reading
 */
export const read = (
  journal: Journal
): Effect.Effect<{ readonly done: TargetSet; readonly unsettled: ReadonlyArray<Unsettled> }, JournalError> =>
  Effect.map(
    Stream.runFold(journal.entries, { done: makeTargetSet(), unsettled: new Map<string, Unsettled>() }, (state, e) => {
      const k = key(e.kind, e.id)
      switch (e.outcome) {
        case "intent":
          state.unsettled.set(k, { kind: e.kind, id: e.id, value: e.value })
          break
        case "deleted":
        case "absent":
          state.done.add(k)
          state.unsettled.delete(k)
          break
        case "restored":
          state.done.delete(k)
          state.unsettled.delete(k)
          break
      }
      return state
    }),
    (state) => ({ done: state.done, unsettled: [...state.unsettled.values()] })
  )

/**
 * A journal held in memory, for tests.
 *
 * @since 0.1.0
 * @category constructors
 */
export const memory = (initial: Iterable<Entry> = []): Effect.Effect<Journal & { readonly lines: Array<Entry> }> =>
  Effect.sync(() => {
    const lines = [...initial]
    const journal = {
      location: "memory",
      lines,
      entries: Stream.suspend(() => Stream.fromIterable([...lines])),
      append: (entry: Entry) => Effect.sync(() => void lines.push(entry))
    }
    return Object.defineProperty(journal, "appendAll", {
      value: (entries: ReadonlyArray<Entry>) => Effect.sync(() => void lines.push(...entries))
    })
  })
