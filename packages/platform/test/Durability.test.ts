import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Batch, Journal, RetryPolicy } from "@unrate/core"
import { Emulator } from "@unrate/emulator"
import { JournalFile, NodeAppleMusic } from "@unrate/platform"
import { Effect, Layer, Redacted, Stream } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Url from "node:url"

const fast = RetryPolicy.make({ base: "20 millis", cap: "500 millis", retries: 10 })

const client = (emulator: Emulator.Emulator) =>
  Layer.merge(
    NodeAppleMusic.layer({
      baseUrl: emulator.url,
      developerToken: Redacted.make(emulator.developerToken),
      userToken: Redacted.make(emulator.userToken),
      retry: fast,
      rate: Infinity
    }),
    NodeFileSystem.layer
  )

const songs = (ids: ReadonlyArray<string>) =>
  Stream.fromIterable(ids).pipe(Stream.map((id): Batch.Target => ({ kind: "library-songs", id })))

const tempDir = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-durability-"))

const readJournal = (path: string): Array<Journal.Entry> =>
  Fs.readFileSync(path, "utf8").split("\n").filter((line) => line.startsWith("{\"outcome\"")).map((line) =>
    JSON.parse(line)
  )

const storeState = (emulator: Emulator.Emulator) =>
  Effect.map(emulator.store.ratings, (ratings) => ratings.map((rating) => `${rating.id}:${rating.value}`).sort())

/** DELETEs the store carried out, per id (answered 204, or committed with the answer dropped). */
const committedDeletes = (log: ReadonlyArray<Emulator.LogEntry>): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const entry of log) {
    if (entry.method !== "DELETE" || entry.status !== 204) continue
    const id = entry.path.split("/").at(-1)!.split("?")[0]!
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
// node itself runs the script (tsx only as a loader), so SIGKILL reaches the process doing the work
const node = [process.execPath, "--import", "tsx", Path.join(here, "fixtures/runBatch.ts")] as const

/** A seeded generator for kill times, so a failing run can be repeated. */
const random = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}

describe("Durability", () => {
  it.scopedLive("5% of answers lost after commit: every deleted rating is restorable, none deleted twice", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({
        seed: 7,
        library: [{ kind: "library-songs", size: 1000, dislikes: 0.5, likes: 0.3 }],
        faults: { dropAfterCommit: 0.05 }
      })
      const before = yield* storeState(emulator)
      const library = yield* emulator.store.ratings
      const ids = [...library.map((rating) => rating.id), ...Array.from({ length: 50 }, (_, i) => `i.none${i}`)]
      const path = Path.join(tempDir(), "journal.jsonl")
      const summary = yield* Effect.scoped(Effect.flatMap(
        JournalFile.make(path),
        (journal) => Batch.run(songs(ids), { journal, concurrency: 16 })
      )).pipe(Effect.provide(client(emulator)))
      assert.deepStrictEqual([summary.deleted, summary.absent, summary.failed], [library.length, 50, 0])
      assert.strictEqual(yield* emulator.store.count(), 0)
      const log = yield* emulator.requestLog
      assert.isAbove(log.filter((entry) => entry.dropped === true && entry.method === "DELETE").length, 10)
      const entries = readJournal(path)
      const absent = new Set(entries.filter((entry) => entry.outcome === "absent").map((entry) => entry.id))
      assert.deepStrictEqual(library.filter((rating) => absent.has(rating.id)).map((rating) => rating.id), [])
      const restored = yield* Effect.scoped(Effect.flatMap(JournalFile.make(path), (journal) => Batch.restore(journal)))
        .pipe(Effect.provide(client(emulator)))
      assert.deepStrictEqual([restored.restored, restored.failed], [library.length, 0])
      assert.deepStrictEqual(yield* storeState(emulator), before)
      const twice = [...committedDeletes(yield* emulator.requestLog)].filter(([, count]) => count > 1)
      assert.deepStrictEqual(twice, [], "a DELETE was committed twice")
    }))

  it.scopedLive(
    "killed with SIGKILL 8 times at random points: after a resume and a restore, every rating is back",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make({
          seed: 3,
          library: [{ kind: "library-songs", size: 600, dislikes: 0.7, likes: 0.2 }],
          faults: { latency: "3 millis" }
        })
        const before = yield* storeState(emulator)
        const library = yield* emulator.store.ratings
        const dir = tempDir()
        const idsFile = Path.join(dir, "ids.txt")
        const journalPath = Path.join(dir, "journal.jsonl")
        Fs.writeFileSync(idsFile, library.map((rating) => rating.id).join("\n"))
        const args = [...node.slice(1), emulator.url, idsFile, journalPath]
        const next = random(42)
        const size = () => (Fs.existsSync(journalPath) ? Fs.statSync(journalPath).size : 0)
        for (let kill = 0; kill < 8; kill++) {
          const start = size()
          const delay = Math.floor(next() * 40)
          const code = yield* Effect.async<string>((resume) => {
            const child = ChildProcess.spawn(node[0], args, { stdio: "ignore", cwd: here })
            // once the child writes, kill it a random few milliseconds later: mid-request, mid-write or between
            const timer = setInterval(() => {
              if (size() <= start) return
              clearInterval(timer)
              setTimeout(() => child.kill("SIGKILL"), delay)
            }, 2)
            child.once("exit", (exitCode, signal) => {
              clearInterval(timer)
              resume(Effect.succeed(signal ?? String(exitCode)))
            })
          })
          assert.strictEqual(code, "SIGKILL", `run ${kill} ended before it was killed`)
        }
        assert.isAbove(yield* emulator.store.count(), 0)
        const resumed = yield* Effect.async<string>((resume) => {
          ChildProcess.execFile(node[0], args, { cwd: here }, (error, stdout) => {
            resume(error ? Effect.die(error) : Effect.succeed(stdout))
          })
        })
        const summary = JSON.parse(resumed.trim().split("\n").at(-1)!) as Batch.Summary
        assert.strictEqual(summary.failed, 0)
        assert.strictEqual(yield* emulator.store.count(), 0)
        const restored = yield* Effect.scoped(
          Effect.flatMap(JournalFile.make(journalPath), (journal) => Batch.restore(journal))
        ).pipe(Effect.provide(client(emulator)))
        assert.strictEqual(restored.failed, 0)
        assert.deepStrictEqual(yield* storeState(emulator), before, "ratings were lost")
        const twice = [...committedDeletes(yield* emulator.requestLog)].filter(([, count]) => count > 1)
        assert.deepStrictEqual(twice, [], "a DELETE was committed twice")
      }),
    { timeout: 120_000 }
  )

  it.scopedLive("a second process on the same journal fails naming the pid that holds it, and sends nothing", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({
        library: [{ kind: "library-songs", size: 300, dislikes: 1 }],
        faults: { latency: "20 millis" }
      })
      const library = yield* emulator.store.ratings
      const dir = tempDir()
      const idsFile = Path.join(dir, "ids.txt")
      const journalPath = Path.join(dir, "journal.jsonl")
      Fs.writeFileSync(idsFile, library.map((rating) => rating.id).join("\n"))
      const child = ChildProcess.spawn(node[0], [...node.slice(1), emulator.url, idsFile, journalPath], {
        stdio: "ignore",
        cwd: here
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => child.kill("SIGKILL")))
      yield* Effect.async<void>((resume) => {
        const timer = setInterval(() => {
          if (Fs.existsSync(journalPath)) {
            clearInterval(timer)
            resume(Effect.void)
          }
        }, 2)
      })
      const error = yield* Effect.flip(
        Effect.scoped(Effect.flatMap(
          JournalFile.make(journalPath),
          (journal) => Batch.run(songs(library.map((rating) => rating.id)), { journal })
        )).pipe(Effect.provide(client(emulator)))
      )
      assert.strictEqual(error._tag, "JournalError")
      assert.include(error.message, `in use by process ${child.pid}`)
      assert.deepStrictEqual([...committedDeletes(yield* emulator.requestLog)].filter(([, count]) => count > 1), [])
    }))

  it.scopedLive("the journal becomes unwritable mid-run: nothing new starts, every 204 is journaled or unrecorded", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({
        library: [{ kind: "library-songs", size: 400, dislikes: 1 }],
        faults: { latency: "10 millis" }
      })
      const library = yield* emulator.store.ratings
      const path = Path.join(tempDir(), "journal.jsonl")
      const { entries, summary } = yield* Effect.scoped(Effect.gen(function*() {
        const file = yield* JournalFile.make(path)
        let appended = 0
        const failing: Journal.Journal = {
          ...file,
          append: (entry) =>
            ++appended > 60
              ? Effect.fail(new Journal.JournalError({ path, reason: "cannot be written (ENOSPC)" }))
              : file.append(entry)
        }
        const summary = yield* Batch.run(songs(library.map((rating) => rating.id)), {
          journal: failing,
          concurrency: 8
        })
        return { entries: readJournal(path), summary }
      })).pipe(Effect.provide(client(emulator)))
      assert.strictEqual(summary.stoppedBy, "JournalError")
      assert.isAbove(summary.unrecorded.length, 0)
      const log = yield* emulator.requestLog
      const deleted = [...committedDeletes(log).keys()].sort()
      const journaled = entries.filter((entry) => entry.outcome === "deleted").map((entry) => entry.id)
      const unrecorded = summary.unrecorded.filter((entry) => entry.outcome === "deleted")
      assert.isTrue(unrecorded.every((entry) => entry.value === -1))
      assert.deepStrictEqual([...journaled, ...unrecorded.map((entry) => entry.id)].sort(), deleted)
      // no DELETE was sent without its intent in the journal
      const intents = new Set(entries.filter((entry) => entry.outcome === "intent").map((entry) => entry.id))
      assert.deepStrictEqual(deleted.filter((id) => !intents.has(id)), [])
      assert.strictEqual(yield* emulator.store.count(), library.length - deleted.length)
    }))
})
