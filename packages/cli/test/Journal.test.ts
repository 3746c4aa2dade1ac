import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@unrate/emulator"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import { emulatorEnv, run, tempFile } from "./cli.js"

const notes = "shopping: milk, eggs\nlast line without a newline"

describe("unrate and its journal", () => {
  it.scopedLive(
    "a --journal that is not a journal is refused, byte for byte and mode untouched",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make()
        yield* emulator.store.seed([["library-songs", "i.AAA", -1]])
        const path = tempFile("notes.txt", notes)
        Fs.chmodSync(path, 0o644)
        const env = emulatorEnv(emulator)
        for (const args of [["delete", "library-songs", "i.AAA", "--journal", path], ["restore", "--journal", path]]) {
          const result = yield* run(args, { env })
          assert.strictEqual(result.code, 2, `${args[0]}: ${result.stderr}`)
          assert.include(result.stderr, path)
          assert.strictEqual(Fs.readFileSync(path, "utf8"), notes)
          assert.strictEqual(Fs.statSync(path).mode & 0o777, 0o644)
        }
        assert.deepStrictEqual(yield* emulator.requestLog, [])
      }),
    { timeout: 60_000 }
  )

  it.scopedLive(
    "a journal in use by a running process: exit 2 naming its pid, nothing sent",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make()
        yield* emulator.store.seed([["library-songs", "i.AAA", -1]])
        const journal = tempFile("run.jsonl")
        Fs.writeFileSync(`${journal}.lock`, JSON.stringify({ unrate: "journal-lock", pid: process.pid, nonce: "n" }))
        const result = yield* run(["delete", "library-songs", "i.AAA", "--journal", journal], {
          env: emulatorEnv(emulator)
        })
        assert.strictEqual(result.code, 2, result.stderr)
        assert.include(result.stderr, `process ${process.pid}`)
        assert.deepStrictEqual(yield* emulator.requestLog, [])
        assert.strictEqual(yield* emulator.store.count(), 1)
      }),
    { timeout: 60_000 }
  )

  it.scopedLive("the lock of a process that is gone is taken over", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      yield* emulator.store.seed([["library-songs", "i.AAA", -1]])
      const journal = tempFile("run.jsonl")
      const gone = ChildProcess.spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"])
      Fs.writeFileSync(
        `${journal}.lock`,
        JSON.stringify({ unrate: "journal-lock", pid: Number(gone.stdout.toString()), nonce: "n" })
      )
      const result = yield* run(["delete", "library-songs", "i.AAA", "--journal", journal, "--json"], {
        env: emulatorEnv(emulator)
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(JSON.parse(result.stdout).deleted, 1)
      assert.isFalse(Fs.existsSync(`${journal}.lock`))
    }), { timeout: 60_000 })

  it.scopedLive(
    "runs says what the journal's last lines say: deleted again after a restore is not restored",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make()
        yield* emulator.store.seed([["library-songs", "i.AAA", -1], ["library-songs", "i.BBB", 1]])
        const env = emulatorEnv(emulator)
        const journal = tempFile("run.jsonl")
        const state = Effect.map(run(["runs", "--json"], { env }), (result) => JSON.parse(result.stdout).runs[0].state)
        const args = ["delete", "library-songs", "i.AAA", "i.BBB", "--journal", journal]
        assert.strictEqual((yield* run(args, { env })).code, 0)
        assert.strictEqual(yield* state, "not restored")
        assert.strictEqual((yield* run(["restore", "--journal", journal], { env })).code, 0)
        assert.strictEqual(yield* state, "restored")
        assert.strictEqual((yield* run(args, { env })).code, 0)
        assert.strictEqual(yield* emulator.store.count(), 0)
        assert.strictEqual(yield* state, "not restored")
      }),
    { timeout: 60_000 }
  )
})
