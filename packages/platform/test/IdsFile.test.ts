import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { IdsFile } from "@unrate/platform"
import { Chunk, Effect, Option, Stream } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

const encoder = new TextEncoder()

/** The ids of `text` when its bytes arrive cut into pieces of `size`. */
const idsOf = (text: string | Uint8Array, size: number) => {
  const bytes = typeof text === "string" ? encoder.encode(text) : text
  const pieces = Array.from(
    { length: Math.ceil(bytes.length / size) },
    (_, i) => bytes.subarray(i * size, (i + 1) * size)
  )
  return Effect.map(Stream.runCollect(IdsFile.fromBytes(Stream.fromIterable(pieces))), Chunk.toReadonlyArray)
}

describe("IdsFile", () => {
  it.effect("one id per line: blanks, comments and surrounding whitespace are skipped, wherever the bytes are cut", () =>
    Effect.gen(function*() {
      const text = "# clean-up\r\ni.AAA\r\n\n   i.BBB  \n#i.CCC\n\t907242702\ni.last"
      for (const size of [1, 2, 3, 5, 7, 64]) {
        assert.deepStrictEqual(yield* idsOf(text, size), ["i.AAA", "i.BBB", "907242702", "i.last"], `size ${size}`)
      }
      assert.deepStrictEqual(
        yield* Stream.runCollect(IdsFile.parse(Stream.make("i.A\ni.", "B\n"))).pipe(
          Effect.map(Chunk.toReadonlyArray)
        ),
        ["i.A", "i.B"]
      )
    }))

  it.effect("a line longer than maxLineBytes becomes a short stand-in that no id can equal", () =>
    Effect.gen(function*() {
      const long = "A".repeat(1_000_000)
      const ids = yield* idsOf(`i.before\n${long}\ni.after\n#${long}\n${"B".repeat(IdsFile.maxLineBytes)}`, 65_536)
      assert.deepStrictEqual(ids, [
        "i.before",
        `${"A".repeat(32)}…(1000000 bytes)`,
        "i.after",
        "B".repeat(IdsFile.maxLineBytes)
      ])
      const tooLong = yield* idsOf("C".repeat(IdsFile.maxLineBytes + 1), 100)
      assert.deepStrictEqual(tooLong, [`${"C".repeat(32)}…(${IdsFile.maxLineBytes + 1} bytes)`])
    }))

  it.effect("reads a named pipe once, as a shell's <(…) gives it", () =>
    Effect.gen(function*() {
      const fifo = Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-ids-")), "ids")
      ChildProcess.execFileSync("mkfifo", [fifo])
      const writer = ChildProcess.spawn("sh", ["-c", `printf 'i.A\\ni.B\\n' > '${fifo}'`])
      const ids = yield* Stream.runCollect(IdsFile.fromFile(fifo)).pipe(Effect.provide(NodeFileSystem.layer))
      writer.kill()
      assert.deepStrictEqual(Chunk.toReadonlyArray(ids), ["i.A", "i.B"])
    }))

  it.effect("count: the ids of a regular file by the same rules, none for a pipe or a directory", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-ids-"))
      const file = Path.join(dir, "ids.txt")
      const long = "A".repeat(100_000)
      Fs.writeFileSync(file, `# head\r\ni.A\r\n\n  i.B \n#i.C\n${long}\n#${long}\n\t907242702\ni.last`)
      const counted = yield* IdsFile.count(file)
      const read = yield* Stream.runCount(IdsFile.fromFile(file))
      assert.deepStrictEqual([counted, read], [Option.some(5), 5])
      Fs.writeFileSync(file, "")
      assert.deepStrictEqual(yield* IdsFile.count(file), Option.some(0))
      const fifo = Path.join(dir, "fifo")
      ChildProcess.execFileSync("mkfifo", [fifo])
      assert.deepStrictEqual(yield* IdsFile.count(fifo), Option.none())
      assert.deepStrictEqual(yield* IdsFile.count(dir), Option.none())
      const missing = yield* Effect.flip(IdsFile.count(Path.join(dir, "missing")))
      assert.strictEqual(missing._tag, "SystemError")
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
