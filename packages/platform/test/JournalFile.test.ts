import { NodeFileSystem } from "@effect/platform-node"
import * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Journal } from "@unrate/core"
import { JournalFile } from "@unrate/platform"
import { Chunk, Effect, Stream } from "effect"
import * as ChildProcess from "node:child_process"
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

const deadPid = (): number => {
  const child = ChildProcess.spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"])
  return Number(child.stdout.toString())
}

const unrateLock = (pid: number) => JSON.stringify({ unrate: "journal-lock", pid, nonce: `n${pid}` }) + "\n"

const lockPid = (file: string): number => JSON.parse(Fs.readFileSync(`${file}.lock`, "utf8")).pid

const path = () => Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-journal-")), "journal.jsonl")

/** A file system whose opened files have some members replaced (`wrap` gets the real file). */
const wrappingFiles = (
  fs: FileSystem.FileSystem,
  wrap: (opened: FileSystem.File) => Partial<Pick<FileSystem.File, "writeAll" | "sync">>
) =>
  FileSystem.FileSystem.of({
    ...fs,
    open: (p, options) =>
      Effect.map(fs.open(p, options), (opened) => {
        const members = Object.entries(wrap(opened)).map(([name, value]) => [name, { value }])
        return Object.create(opened, Object.fromEntries(members)) as FileSystem.File
      })
  })

/** A file system whose files count their writes and syncs. */
const countingWrites = (fs: FileSystem.FileSystem) => {
  const calls = { writes: 0, syncs: 0 }
  const counting = wrappingFiles(fs, (opened) => ({
    writeAll: (bytes) => Effect.zipLeft(opened.writeAll(bytes), Effect.sync(() => void calls.writes++)),
    sync: Effect.zipRight(opened.sync, Effect.sync(() => void calls.syncs++))
  }))
  return { calls, counting }
}

describe("JournalFile", () => {
  it.scoped("writes JSON Lines with mode 0600 and reads them back", () =>
    Effect.gen(function*() {
      const file = path()
      const journal = yield* JournalFile.make(file)
      yield* journal.append(entry("i.a"))
      yield* journal.append(entry("i.b", "absent"))
      const lines = Fs.readFileSync(file, "utf8").trimEnd().split("\n")
      assert.deepStrictEqual(JSON.parse(lines[1]!), entry("i.a"))
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

  it.scoped("starts a new file with a version header that readers skip", () =>
    Effect.gen(function*() {
      const file = path()
      const journal = yield* JournalFile.make(file)
      yield* journal.append(entry("i.a"))
      const lines = Fs.readFileSync(file, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line))
      assert.deepStrictEqual([lines[0].journal, lines[0].version, lines.length], ["unrate", 2, 2])
      const read = Chunk.toReadonlyArray(yield* Stream.runCollect(journal.entries))
      assert.deepStrictEqual(read.map((e) => e.id), ["i.a"])
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("continues a version-1 journal (no header) without adding one", () =>
    Effect.gen(function*() {
      const file = path()
      Fs.writeFileSync(file, `${JSON.stringify(entry("i.a"))}\n`)
      const journal = yield* JournalFile.make(file)
      yield* journal.append(entry("i.b"))
      const read = Chunk.toReadonlyArray(yield* Stream.runCollect(journal.entries))
      assert.deepStrictEqual(read.map((e) => e.id), ["i.a", "i.b"])
      assert.isFalse(Fs.readFileSync(file, "utf8").includes("\"journal\""))
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  for (
    const [name, content] of [
      ["notes", "hello\nworld\n"],
      ["notes without a final newline", "dear diary"],
      ["a journal line then notes", `${JSON.stringify(entry("i.a"))}\nremember the milk`],
      ["blank lines", "\n\n"],
      ["a newer format", `${JSON.stringify({ journal: "unrate", version: 3 })}\n`]
    ] as const
  ) {
    it.scoped(`refuses a file that is not a journal (${name}) and leaves it byte-identical, mode unchanged`, () =>
      Effect.gen(function*() {
        const file = path()
        Fs.writeFileSync(file, content)
        Fs.chmodSync(file, 0o644)
        const error = yield* Effect.flip(JournalFile.make(file))
        assert.strictEqual(error._tag, "JournalError")
        assert.strictEqual(Fs.readFileSync(file, "utf8"), content)
        assert.strictEqual((Fs.statSync(file).mode & 0o777).toString(8), "644")
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  }

  it.scoped("one run per journal: a second make fails naming the pid; the lock goes with the scope", () =>
    Effect.gen(function*() {
      const file = path()
      yield* Effect.scoped(Effect.gen(function*() {
        yield* JournalFile.make(file)
        assert.strictEqual(lockPid(file), process.pid)
        const error = yield* Effect.flip(Effect.scoped(JournalFile.make(file)))
        assert.include(error.message, `in use by process ${process.pid}`)
        assert.isTrue(Fs.existsSync(`${file}.lock`))
      }))
      assert.isFalse(Fs.existsSync(`${file}.lock`))
      yield* JournalFile.make(file)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("takes over the lock of a process that is gone", () =>
    Effect.gen(function*() {
      const file = path()
      Fs.writeFileSync(`${file}.lock`, unrateLock(deadPid()))
      const journal = yield* JournalFile.make(file)
      yield* journal.append(entry("i.a"))
      assert.strictEqual(lockPid(file), process.pid)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("a lock file that is not unrate's (a bare pid of a process that is gone) is refused and left as it is", () =>
    Effect.gen(function*() {
      const file = path()
      const theirs = `${deadPid()}\n`
      Fs.writeFileSync(`${file}.lock`, theirs)
      const error = yield* Effect.flip(JournalFile.make(file))
      assert.include(error.message, "not an unrate lock")
      assert.strictEqual(Fs.readFileSync(`${file}.lock`, "utf8"), theirs)
      assert.isFalse(Fs.existsSync(file))
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("the lock is removed at the end only while it is still this run's", () =>
    Effect.gen(function*() {
      const file = path()
      const replaced = unrateLock(process.ppid)
      yield* Effect.scoped(Effect.gen(function*() {
        yield* JournalFile.make(file)
        Fs.writeFileSync(`${file}.lock`, replaced)
      }))
      assert.strictEqual(Fs.readFileSync(`${file}.lock`, "utf8"), replaced)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("a stale lock taken over by another process in between is put back, and this run refused", () =>
    Effect.gen(function*() {
      const file = path()
      const other = unrateLock(process.ppid)
      Fs.writeFileSync(`${file}.lock`, unrateLock(deadPid()))
      const fs = yield* FileSystem.FileSystem
      // The other process removes the stale lock and takes its own just before this one moves the stale one aside.
      const racing = FileSystem.FileSystem.of({
        ...fs,
        rename: (from, to) => Effect.zipRight(Effect.sync(() => Fs.writeFileSync(from, other)), fs.rename(from, to))
      })
      const error = yield* Effect.flip(Effect.provideService(JournalFile.make(file), FileSystem.FileSystem, racing))
      assert.include(error.message, `in use by process ${process.ppid}`)
      assert.strictEqual(Fs.readFileSync(`${file}.lock`, "utf8"), other)
      assert.deepStrictEqual(Fs.readdirSync(Path.dirname(file)), ["journal.jsonl.lock"])
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("every append is synced before it completes; concurrent appends share syncs (group commit)", () =>
    Effect.gen(function*() {
      const file = path()
      const { calls, counting } = countingWrites(yield* FileSystem.FileSystem)
      let unsyncedAppends = 0
      const ids = Array.from({ length: 200 }, (_, i) => `i.${i}`)
      yield* Effect.gen(function*() {
        const journal = yield* JournalFile.make(file)
        const before = calls.syncs
        yield* Effect.forEach(ids, (id) =>
          Effect.zipRight(
            journal.append(entry(id)),
            Effect.sync(() => void (calls.syncs === before ? unsyncedAppends++ : undefined))
          ), { concurrency: 32 })
        const read = Chunk.toReadonlyArray(yield* Stream.runCollect(journal.entries))
        assert.deepStrictEqual(read.map((e) => e.id).sort(), [...ids].sort())
      }).pipe(Effect.provideService(FileSystem.FileSystem, counting))
      assert.strictEqual(unsyncedAppends, 0, "an append completed before any sync")
      assert.isAtLeast(calls.syncs, 2)
      assert.isBelow(calls.syncs, 200, `${calls.syncs} syncs for 200 concurrent appends`)
      const unsynced = path()
      const before = calls.syncs
      yield* Effect.gen(function*() {
        const journal = yield* JournalFile.make(unsynced, { sync: false })
        yield* journal.append(entry("i.a"))
      }).pipe(Effect.provideService(FileSystem.FileSystem, counting))
      assert.strictEqual(calls.syncs, before)
    }).pipe(Effect.provide(NodeFileSystem.layer)))
  it.scoped("each group of concurrent appends is one write and one sync", () =>
    Effect.gen(function*() {
      const { calls, counting } = countingWrites(yield* FileSystem.FileSystem)
      const ids = Array.from({ length: 200 }, (_, i) => `i.${i}`)
      yield* Effect.gen(function*() {
        const journal = yield* JournalFile.make(path())
        yield* Effect.forEach(ids, (id) => journal.append(entry(id)), { concurrency: 32, discard: true })
      }).pipe(Effect.provideService(FileSystem.FileSystem, counting))
      assert.strictEqual(calls.writes, calls.syncs, `${calls.writes} writes for ${calls.syncs} syncs`)
      assert.isBelow(calls.syncs, 200 / 4, `${calls.syncs} syncs for 200 appends, 32 at a time`)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("appendAll writes its entries in order with one write and one sync; a spread copy has no appendAll", () =>
    Effect.gen(function*() {
      const { calls, counting } = countingWrites(yield* FileSystem.FileSystem)
      const file = path()
      const entries = [entry("i.a"), entry("i.b", "intent"), entry("i.c", "absent")]
      const spread = yield* Effect.gen(function*() {
        const journal = yield* JournalFile.make(file)
        const before = { ...calls }
        yield* journal.appendAll!(entries)
        assert.deepStrictEqual([calls.writes - before.writes, calls.syncs - before.syncs], [1, 1])
        return { ...journal }
      }).pipe(Effect.provideService(FileSystem.FileSystem, counting))
      const lines = Fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(1)
      assert.deepStrictEqual(lines.map((line) => JSON.parse(line)), entries)
      assert.isUndefined(spread.appendAll)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scoped("a write that fails halfway fails its group's appends and is cut back off; the next append is whole", () =>
    Effect.gen(function*() {
      const file = path()
      const fs = yield* FileSystem.FileSystem
      let failures = 0
      const failingOnce = wrappingFiles(fs, (opened) => ({
        writeAll: (bytes) =>
          // The header goes through; the first group of entries is written halfway, then the disk is full.
          bytes.length > 100 && failures++ === 0
            ? Effect.zipRight(
              opened.writeAll(bytes.subarray(0, bytes.length >> 1)),
              Effect.fail(
                new PlatformError.SystemError({
                  reason: "Unknown",
                  module: "FileSystem",
                  method: "write",
                  description: "ENOSPC"
                })
              )
            )
            : opened.writeAll(bytes)
      }))
      const ids = Array.from({ length: 8 }, (_, i) => `i.${i}`)
      const results = yield* Effect.gen(function*() {
        const journal = yield* JournalFile.make(file)
        const results = yield* Effect.forEach(ids, (id) => Effect.either(journal.append(entry(id))), {
          concurrency: "unbounded"
        })
        yield* journal.append(entry("i.after"))
        return results
      }).pipe(Effect.provideService(FileSystem.FileSystem, failingOnce))
      const failed = ids.filter((_, i) => results[i]!._tag === "Left")
      assert.isAbove(failed.length, 1, "the failed group held several appends")
      for (const [i, result] of results.entries()) {
        if (result._tag === "Left") assert.include(result.left.message, "cannot be written (")
        else assert.notInclude(failed, ids[i])
      }
      const lines = Fs.readFileSync(file, "utf8").split("\n").filter((line) => line !== "")
      const written = lines.slice(1).map((line) => JSON.parse(line).id)
      assert.deepStrictEqual(written, [...ids.filter((id) => !failed.includes(id)), "i.after"])
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
