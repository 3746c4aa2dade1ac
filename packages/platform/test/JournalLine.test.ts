import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Journal } from "@unrate/core"
import { JournalFile } from "@unrate/platform"
import { Arbitrary, Cause, Effect, Exit, FastCheck, Schema } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { isEntry, lineOf } from "../src/internal/journalLine.js"

const entries = Arbitrary.make(Journal.Entry)
const schemaIs = Schema.is(Journal.Entry)
const encode = Schema.encodeSync(Journal.Entry)

/** Values near an entry: one field replaced by anything, or removed, or set to undefined. */
const nearEntries = FastCheck.tuple(
  entries,
  FastCheck.constantFrom(...Object.keys(Journal.Entry.fields), "extra"),
  FastCheck.oneof(
    FastCheck.anything(),
    FastCheck.constantFrom(undefined, "deleted", "songs", "library-songs", 1, -1, 0, true, "removed")
  )
).map(([entry, field, value]) => {
  const near: Record<string, unknown> = { ...entry }
  if (value === "removed") delete near[field]
  else near[field] = value
  return near
})

describe("journal lines", () => {
  it("a line is the schema's encoding of the entry, field for field and in its order", () =>
    FastCheck.assert(
      FastCheck.property(entries, (entry) => {
        // Fields in another order, and one the schema does not know: the line still follows the schema.
        const shuffled: unknown = { extra: "not written", ...Object.fromEntries(Object.entries(entry).reverse()) }
        if (!isEntry(shuffled)) return assert.fail("an entry was refused")
        assert.strictEqual(lineOf(shuffled), `${JSON.stringify(encode(entry))}\n`)
      }),
      { numRuns: 2000 }
    ))

  it("the check of an entry answers as Schema.is does, for entries and for values near them", () =>
    FastCheck.assert(
      FastCheck.property(FastCheck.oneof(entries, nearEntries, FastCheck.anything()), (value) => {
        assert.strictEqual(isEntry(value), schemaIs(value))
      }),
      { numRuns: 5000 }
    ))

  it("only an entry's own fields count, as for Schema.is: inherited ones, getters and arrays", () => {
    const entry: Journal.Entry = {
      outcome: "deleted",
      kind: "library-songs",
      id: "i.a",
      at: "2026-11-28T10:00:00.000Z"
    }
    class WithGetter {
      constructor() {
        Object.assign(this, entry)
      }
      get confirmed() {
        return "no"
      }
    }
    const cases: ReadonlyArray<readonly [string, unknown]> = [
      ["an inherited value the schema refuses", Object.assign(Object.create({ value: 7 }), entry)],
      ["an inherited value the schema takes", Object.assign(Object.create({ value: 1 }), entry)],
      ["every field inherited", Object.create(entry)],
      ["a getter on the prototype", new WithGetter()],
      ["an array with the fields", Object.assign([], entry)]
    ]
    for (const [name, value] of cases) {
      assert.strictEqual(isEntry(value), schemaIs(value), name)
      if (schemaIs(value)) assert.strictEqual(lineOf(value), `${JSON.stringify(entry)}\n`, name)
      else assert.throws(() => lineOf(value as Journal.Entry), /Expected|is missing/, name)
    }
  })

  it.scoped("an entry that is not one is refused with the schema's message, and nothing is written", () =>
    Effect.gen(function*() {
      const file = Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-journal-")), "journal.jsonl")
      const journal = yield* JournalFile.make(file)
      const before = Fs.readFileSync(file, "utf8")
      const bad = { outcome: "deleted", kind: "library-songz", id: "i.a", at: "2026-11-28T10:00:00.000Z" }
      const exit = yield* Effect.exit(journal.append(bad as unknown as Journal.Entry))
      assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
      assert.include(String(Exit.isFailure(exit) ? Cause.squash(exit.cause) : ""), "library-songz")
      assert.strictEqual(Fs.readFileSync(file, "utf8"), before)
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
