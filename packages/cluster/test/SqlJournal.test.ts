import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Journal } from "@unrate/core"
import { Chunk, Effect, Stream } from "effect"
import * as Path from "node:path"
import { SqlJournal } from "../src/index.js"
import { tempDir } from "./fixtures.js"

const at = "2026-01-01T00:00:00.000Z"

describe("SqlJournal", () => {
  it.effect("keeps every field of every entry, in order, per clean-up, across pages", () =>
    Effect.gen(function*() {
      yield* SqlJournal.migrate
      const a = yield* SqlJournal.make("a")
      const b = yield* SqlJournal.make("b")
      const written: Array<Journal.Entry> = []
      for (let i = 0; i < 2500; i++) {
        const entry: Journal.Entry = i % 2 === 0
          ? { outcome: "intent", kind: "library-songs", id: `i.x${i}`, value: -1, at }
          : { outcome: "deleted", kind: "library-songs", id: `i.x${i - 1}`, value: -1, confirmed: i % 4 === 1, at }
        written.push(entry)
        yield* a.append(entry)
      }
      const failed: Journal.Entry = {
        outcome: "failed",
        kind: "songs",
        id: "1",
        error: "ServerError",
        message: "503 Service Unavailable",
        at
      }
      yield* b.append(failed)
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Stream.runCollect(a.entries)), written)
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Stream.runCollect(b.entries)), [failed])
      const state = yield* Journal.read(a)
      assert.strictEqual(state.done.size, 1250)
      assert.deepStrictEqual(state.unsettled, [])
    }).pipe(Effect.provide(SqliteClient.layer({ filename: Path.join(tempDir(), "journal.sqlite") }))))
})
