import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Journal } from "@unrate/core"
import { JournalFile } from "@unrate/platform"
import { Chunk, Effect, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

const entry = (id: string, outcome: Journal.EntryOutcome = "deleted"): Journal.Entry => ({
  outcome,
  kind: "library-songs",
  id,
  value: -1,
  at: "2026-11-27T10:00:00.000Z"
})

const path = () => Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-journal-")), "journal.jsonl")

describe("JournalFile", () => {
  it.scoped("writes JSON Lines with mode 0600 and reads them back", () =>
    Effect.gen(function*() {
      const file = path()
      const journal = yield* JournalFile.make(file)
      yield* journal.append(entry("i.a"))
      yield* journal.append(entry("i.b", "absent"))
      const lines = Fs.readFileSync(file, "utf8").trimEnd().split("\n")
      assert.deepStrictEqual(JSON.parse(lines[0]!), entry("i.a"))
      assert.strictEqual((Fs.statSync(file).mode & 0o777).toString(8), "600")
      const read = Chunk.toReadonlyArray(yield* Stream.runCollect(journal.entries))
      assert.deepStrictEqual(read.map((e) => e.id), ["i.a", "i.b"])
      const done = yield* Journal.done(journal)
      assert.deepStrictEqual([done.size, done.has("library-songs/i.a"), done.has("library-songs/i.c")], [
        2,
        true,
        false
      ])
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("reads a journal cut off mid-line up to its last whole line and continues it", () =>
    Effect.gen(function*() {
      const file = path()
      Fs.writeFileSync(file, `${JSON.stringify(entry("i.a"))}\n${JSON.stringify(entry("i.b")).slice(0, 20)}`)
      const journal = yield* JournalFile.make(file)
      yield* journal.append(entry("i.c"))
      const read = Chunk.toReadonlyArray(yield* Stream.runCollect(journal.entries))
      assert.deepStrictEqual(read.map((e) => e.id), ["i.a", "i.c"])
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("refuses a file that is not a journal", () =>
    Effect.gen(function*() {
      const file = path()
      Fs.writeFileSync(file, "hello\n")
      const journal = yield* JournalFile.make(file)
      const error = yield* Effect.flip(Stream.runDrain(journal.entries))
      assert.include(error.message, "line 1 is not a journal entry")
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
