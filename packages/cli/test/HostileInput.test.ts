import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@unrate/emulator"
import { Effect } from "effect"
import type * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import { command, emulatorEnv, run, spawn, tempFile } from "./cli.js"

/** The peak resident memory of a child, in MB, sampled from /proc until it exits. */
const peakMegabytes = (child: ChildProcess.ChildProcess): () => number => {
  let peak = 0
  const sample = () => {
    try {
      const status = Fs.readFileSync(`/proc/${child.pid}/status`, "utf8")
      const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
      peak = Math.max(peak, hwm)
    } catch {
      // Gone.
    }
  }
  const timer = setInterval(sample, 20)
  child.once("exit", () => clearInterval(timer))
  return () => peak
}

const randomFile = (megabytes: number) => {
  const path = tempFile("hostile.bin")
  const fd = Fs.openSync(path, "w")
  for (let i = 0; i < megabytes; i++) Fs.writeSync(fd, Crypto.randomBytes(1024 * 1024))
  Fs.closeSync(fd)
  return path
}

describe("unrate with hostile input", () => {
  it.scopedLive(
    "random bytes as an ids file: bounded output, memory flat in the file's size, nothing sent",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make()
        const env = emulatorEnv(emulator)
        const measure = (path: string) =>
          Effect.gen(function*() {
            let peak = () => 0
            const result = yield* run(["delete", "library-songs", "--ids-file", path, "--dry-run", "--json"], {
              env,
              onStart: (child) => (peak = peakMegabytes(child))
            })
            return { result, peak: peak() }
          })
        const small = yield* measure(randomFile(4))
        const large = yield* measure(randomFile(64))
        for (const { result } of [small, large]) {
          assert.strictEqual(result.code, 1, result.stderr)
          const json = JSON.parse(result.stdout)
          assert.isAbove(json.invalid, 10_000)
          assert.strictEqual(json.failures.length, 100)
          assert.isBelow(result.stdout.length, 100_000)
          assert.strictEqual(result.stderr, "")
        }
        assert.isBelow(large.peak - small.peak, 30, `peak ${small.peak} MB for 4 MB, ${large.peak} MB for 64 MB`)
        assert.deepStrictEqual(yield* emulator.requestLog, [])
      }),
    { timeout: 120_000 }
  )

  it.scopedLive("a 32 MB line is one invalid id, reported in a few hundred bytes", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      yield* emulator.store.seed([["library-songs", "i.AAA", -1]])
      const path = tempFile("ids.txt", `i.AAA\n${"x".repeat(32 * 1024 * 1024)}\n`)
      const result = yield* run(["delete", "library-songs", "--ids-file", path, "--no-journal"], {
        env: emulatorEnv(emulator)
      })
      assert.strictEqual(result.code, 1, result.stderr)
      assert.include(result.stdout, "1 deleted")
      assert.include(result.stdout, "1 invalid")
      assert.include(result.stdout, `${"x".repeat(32)}…(33554432 bytes)`)
      assert.isBelow(result.stdout.length + result.stderr.length, 2_000)
    }), { timeout: 60_000 })

  it.scopedLive("--ids-file <(…) works: the ids are read once, from a pipe", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      yield* emulator.store.seed([["library-songs", "i.AAA", -1], ["library-songs", "i.BBB", 1]])
      const shell = `${command.map((part) => `'${part}'`).join(" ")} delete library-songs --json --no-journal ` +
        `--ids-file <(printf 'i.AAA\\ni.BBB\\n')`
      const result = yield* spawn("bash", ["-c", shell], { env: emulatorEnv(emulator) })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(JSON.parse(result.stdout).deleted, 2)
      assert.strictEqual(yield* emulator.store.count(), 0)
    }), { timeout: 60_000 })

  it.scopedLive(
    "the ids file as its own journal is refused, and left byte for byte as it was",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make()
        yield* emulator.store.seed([["library-songs", "i.AAA", -1]])
        const path = tempFile("ids.txt", "i.AAA\n")
        const linked = `${path}.link`
        Fs.symlinkSync(path, linked)
        for (const journal of [path, linked]) {
          const result = yield* run(["delete", "library-songs", "--ids-file", path, "--journal", journal], {
            env: emulatorEnv(emulator)
          })
          assert.strictEqual(result.code, 2, result.stderr)
          assert.include(result.stderr, "--ids-file and --journal name the same file")
        }
        assert.strictEqual(Fs.readFileSync(path, "utf8"), "i.AAA\n")
        assert.deepStrictEqual(yield* emulator.requestLog, [])
      }),
    { timeout: 60_000 }
  )
})
