import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Batch, RetryPolicy } from "@unrate/core"
import { Emulator } from "@unrate/emulator"
import { JournalFile, NodeAppleMusic } from "@unrate/platform"
import { Effect, Layer, Redacted, Stream } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Url from "node:url"

const fast = RetryPolicy.make({ base: "20 millis", cap: "500 millis", retries: 10 })

const client = (emulator: Emulator.Emulator, retry: RetryPolicy.RetryPolicy = fast) =>
  Layer.merge(
    NodeAppleMusic.layer({
      baseUrl: emulator.url,
      developerToken: Redacted.make(emulator.developerToken),
      userToken: Redacted.make(emulator.userToken),
      retry,
      rate: Infinity
    }),
    NodeFileSystem.layer
  )

const songs = (ids: ReadonlyArray<string>) =>
  Stream.fromIterable(ids).pipe(Stream.map((id): Batch.Target => ({ kind: "library-songs", id })))

const tempDir = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-batch-"))

const readJournal = (path: string) =>
  Fs.readFileSync(path, "utf8").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line))

describe("Batch over HTTP", () => {
  it.scopedLive("2,000 targets through 5% 500s and 3% 429s all end deleted or absent", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ seed: 11, faults: { error500: 0.05, error429: 0.03 } })
      const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 1900, dislikes: 1 })
      const ids = [...seeded.dislikes, ...Array.from({ length: 100 }, (_, i) => `i.missing${i}`)]
      const summary = yield* Batch.run(songs(ids), { concurrency: 16 }).pipe(Effect.provide(client(emulator)))
      assert.deepStrictEqual([summary.deleted, summary.absent, summary.failed, summary.stoppedBy], [1900, 100, 0, null])
      assert.strictEqual(summary.requested, 2000)
      const log = yield* emulator.requestLog
      assert.isTrue(log.some((entry) => entry.status === 500) && log.some((entry) => entry.status === 429))
      assert.strictEqual(summary.requests, log.length)
      assert.strictEqual(summary.retries, log.length - 2000)
      assert.strictEqual(yield* emulator.store.count(), 0)
    }))

  it.scopedLive("reliability: through 5% 503s, 2% resets and 3% 429s every target is deleted exactly once", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ seed: 4, faults: { error503: 0.05, resetRate: 0.02, error429: 0.03 } })
      const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 1000, dislikes: 1 })
      const summary = yield* Batch.run(songs(seeded.dislikes), { concurrency: 16 }).pipe(
        Effect.provide(client(emulator))
      )
      assert.deepStrictEqual([summary.deleted, summary.failed, summary.absent, summary.stoppedBy], [1000, 0, 0, null])
      const log = yield* emulator.requestLog
      const statuses = new Set(log.map((entry) => entry.status))
      assert.isTrue(statuses.has(503) && statuses.has(0) && statuses.has(429), [...statuses].join(","))
      const deletedPerPath = new Map<string, number>()
      for (const entry of log) {
        if (entry.status === 204) deletedPerPath.set(entry.path, (deletedPerPath.get(entry.path) ?? 0) + 1)
      }
      for (const id of seeded.dislikes) {
        assert.strictEqual(deletedPerPath.get(`/v1/me/ratings/library-songs/${id}`), 1, id)
      }
      assert.strictEqual(deletedPerPath.size, 1000)
      assert.isFalse(log.some((entry) => entry.status === 404))
      assert.strictEqual(yield* emulator.store.count(), 0)
    }))

  it.scopedLive("under an emulator limit of R req/s, 429s stay under 5% of requests", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { rateLimit: 100 } })
      const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 500, dislikes: 1 })
      const summary = yield* Batch.run(songs(seeded.dislikes), { concurrency: 8, rate: 150 }).pipe(
        Effect.provide(client(emulator, RetryPolicy.defaultPolicy))
      )
      assert.strictEqual(summary.deleted, 500)
      const log = yield* emulator.requestLog
      const limited = log.filter((entry) => entry.status === 429).length
      assert.isBelow(limited / log.length, 0.05, `${limited} of ${log.length} answered 429`)
    }))

  it.scopedLive("a 403 after 100 requests stops the batch; the journal holds every settled target", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { userTokenExpiresAfter: 100 } })
      const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 400, dislikes: 1 })
      const path = Path.join(tempDir(), "journal.jsonl")
      const concurrency = 8
      const summary = yield* Effect.gen(function*() {
        const journal = yield* JournalFile.make(path)
        return yield* Batch.run(songs(seeded.dislikes), { concurrency, journal })
      }).pipe(Effect.scoped, Effect.provide(client(emulator)))
      assert.strictEqual(summary.stoppedBy, "Forbidden")
      const log = yield* emulator.requestLog
      const firstRefusal = log.findIndex((entry) => entry.status === 403)
      assert.strictEqual(firstRefusal, 100)
      assert.isAtMost(log.length - firstRefusal, concurrency, "requests were started after the stop")
      const entries = readJournal(path)
      const deletedInLog = log.filter((entry) => entry.method === "DELETE" && entry.status === 204)
        .map((entry) => entry.path.split("/").at(-1))
      const deletedInJournal = entries.filter((entry) => entry.outcome === "deleted").map((entry) => entry.id)
      assert.deepStrictEqual([...deletedInJournal].sort(), [...deletedInLog].sort())
      // The first 100 requests (lookups and DELETEs) succeeded; after the first 403 every answer is a 403.
      assert.deepStrictEqual(
        [...new Set(log.slice(0, firstRefusal).map((entry) => `${entry.method} ${entry.status}`))].sort(),
        ["DELETE 204", "GET 200"]
      )
      assert.isTrue(log.slice(firstRefusal).every((entry) => entry.status === 403))
      assert.strictEqual(
        deletedInLog.length,
        log.slice(0, firstRefusal).filter((entry) => entry.method === "DELETE").length
      )
      assert.strictEqual(summary.deleted, deletedInJournal.length)
      assert.isTrue(entries.filter((entry) => entry.outcome === "deleted").every((entry) => entry.value === -1))
      assert.strictEqual((Fs.statSync(path).mode & 0o777).toString(8), "600")
    }))

  it.scopedLive(
    "a batch killed with SIGKILL resumes from its journal: nothing deleted twice, nothing missed",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make({ faults: { latency: "2 millis" } })
        const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 1000, dislikes: 1 })
        const dir = tempDir()
        const idsFile = Path.join(dir, "ids.txt")
        const journalPath = Path.join(dir, "journal.jsonl")
        Fs.writeFileSync(idsFile, seeded.dislikes.join("\n"))
        const here = Path.dirname(Url.fileURLToPath(import.meta.url))
        // node itself runs the script (tsx only as a loader), so SIGKILL reaches the process doing the work
        const node = [process.execPath, "--import", "tsx", Path.join(here, "fixtures/runBatch.ts")] as const

        const killed = yield* Effect.async<number>((resume) => {
          const child = ChildProcess.spawn(node[0], [...node.slice(1), emulator.url, idsFile, journalPath], {
            stdio: "ignore",
            cwd: here
          })
          const timer = setInterval(() => {
            const lines = Fs.existsSync(journalPath) ? Fs.readFileSync(journalPath, "utf8").split("\n").length : 0
            if (lines > 200) {
              clearInterval(timer)
              child.kill("SIGKILL")
            }
          }, 5)
          child.once("exit", (code, signal) => {
            clearInterval(timer)
            resume(Effect.succeed(signal === "SIGKILL" ? 137 : code ?? 0))
          })
        })
        assert.strictEqual(killed, 137)
        assert.isAbove(yield* emulator.store.count(), 0)
        const firstRun = (yield* emulator.requestLog).length
        // Complete lines only: a line cut by the kill is dropped by the journal when it is opened again.
        const journaled = new Set(
          Fs.readFileSync(journalPath, "utf8").split("\n").slice(0, -1).map((line) => JSON.parse(line))
            .filter((entry) => entry.outcome === "deleted").map((entry) => entry.id as string)
        )
        assert.isAbove(journaled.size, 0)
        assert.isBelow(journaled.size, 1000)

        const resumed = yield* Effect.async<string>((resume) => {
          ChildProcess.execFile(node[0], [...node.slice(1), emulator.url, idsFile, journalPath], { cwd: here }, (
            error,
            stdout
          ) => {
            resume(error ? Effect.die(error) : Effect.succeed(stdout))
          })
        })
        const summary = JSON.parse(resumed.trim().split("\n").at(-1)!) as Batch.Summary
        assert.strictEqual(yield* emulator.store.count(), 0)
        const log = yield* emulator.requestLog
        // Every DELETE sent, whatever its answer, per id: a resume that ignored the journal would send a
        // second DELETE (answered 404) for every id the first run deleted.
        const deletes = new Map<string, number>()
        for (const entry of log) {
          if (entry.method === "DELETE") deletes.set(entry.path, (deletes.get(entry.path) ?? 0) + 1)
        }
        const twice = [...deletes].filter(([, count]) => count > 1).map(([path]) => path)
        assert.deepStrictEqual(
          twice.map((path) =>
            log.filter((entry) => entry.path === path).map((entry) => `${entry.method} ${entry.status}`)
          ),
          [],
          "a target was deleted twice"
        )
        assert.deepStrictEqual(
          [...deletes.keys()].sort(),
          seeded.dislikes.map((id) => `/v1/me/ratings/library-songs/${id}`).sort(),
          "every target got exactly one DELETE over both runs"
        )
        const resumedDeletes = log.slice(firstRun).filter((entry) => entry.method === "DELETE")
        assert.isTrue(resumedDeletes.every((entry) => entry.status === 204))
        // Skipped: what the journal says is done. Deleted: the rest, either sent now or, when the killed run
        // had written its intent and the rating is gone, recorded deleted-unconfirmed without a second DELETE.
        // Nothing is absent: every target had a rating when the first run began.
        assert.deepStrictEqual(
          [summary.requested, summary.skipped, summary.deleted, summary.absent, summary.failed],
          [1000, journaled.size, 1000 - journaled.size, 0, 0]
        )
        for (const entry of resumedDeletes) assert.isFalse(journaled.has(entry.path.split("/").at(-1)!), entry.path)
      }),
    { timeout: 120_000 }
  )

  it.scopedLive("sweep deletes exactly the 150 dislikes of 1,000 songs; restore puts them back", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({
        library: [{ kind: "library-songs", size: 1000, dislikes: 0.15, likes: 0.1 }]
      })
      const path = Path.join(tempDir(), "sweep.jsonl")
      const before = yield* emulator.store.ratings
      const summary = yield* Effect.gen(function*() {
        const journal = yield* JournalFile.make(path)
        return yield* Batch.sweep("library-songs", { value: "dislike", journal })
      }).pipe(Effect.scoped, Effect.provide(client(emulator)))
      assert.deepStrictEqual([summary.scanned, summary.matched, summary.deleted], [1000, 150, 150])
      const after = yield* emulator.store.ratings
      assert.strictEqual(after.length, 100)
      assert.isTrue(after.every((rating) => rating.value === 1))
      const restored = yield* Effect.gen(function*() {
        const journal = yield* JournalFile.make(path)
        return yield* Batch.restore(journal)
      }).pipe(Effect.scoped, Effect.provide(client(emulator)))
      assert.strictEqual(restored.restored, 150)
      const back = yield* emulator.store.ratings
      assert.deepStrictEqual(
        back.map((rating) => `${rating.id}:${rating.value}`).sort(),
        before.map((rating) => `${rating.id}:${rating.value}`).sort()
      )
      const again = yield* Effect.gen(function*() {
        const journal = yield* JournalFile.make(path)
        return yield* Batch.restore(journal)
      }).pipe(Effect.scoped, Effect.provide(client(emulator)))
      assert.deepStrictEqual([again.restored, again.skipped], [0, 150])
    }))

  it.scopedLive("sweep with value like, then all: each deletes exactly the matching ratings over HTTP", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({
        library: [{ kind: "library-songs", size: 300, dislikes: 0.2, likes: 0.1 }]
      })
      const rated = (value: 1 | -1) =>
        Effect.map(
          emulator.store.ratings,
          (ratings) => ratings.filter((rating) => rating.value === value).map((rating) => rating.id).sort()
        )
      const likes = yield* rated(1)
      const dislikes = yield* rated(-1)
      assert.deepStrictEqual([likes.length, dislikes.length], [30, 60])
      const deletedIds = Effect.map(
        emulator.requestLog,
        (log) =>
          log.filter((entry) => entry.method === "DELETE" && entry.status === 204)
            .map((entry) => entry.path.split("/").at(-1)!).sort()
      )

      const liked = yield* Batch.sweep("library-songs", { value: "like" }).pipe(Effect.provide(client(emulator)))
      assert.deepStrictEqual([liked.scanned, liked.matched, liked.deleted], [300, 30, 30])
      assert.deepStrictEqual(yield* deletedIds, likes)
      assert.deepStrictEqual(yield* rated(-1), dislikes)
      assert.strictEqual((yield* emulator.store.ratings).length, 60)

      yield* emulator.store.seed(likes.map((id) => ["library-songs", id, 1] as const))
      const all = yield* Batch.sweep("library-songs", { value: "all" }).pipe(Effect.provide(client(emulator)))
      assert.deepStrictEqual([all.scanned, all.matched, all.deleted], [300, 90, 90])
      assert.deepStrictEqual(yield* deletedIds, [...likes, ...likes, ...dislikes].sort())
      assert.strictEqual(yield* emulator.store.count(), 0)
    }))

  it.scopedLive("dry run sends no DELETE; the cap stops at exactly N", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 100, dislikes: 1 })
      const dry = yield* Batch.run(songs(seeded.dislikes), { dryRun: true }).pipe(Effect.provide(client(emulator)))
      assert.strictEqual(dry.planned, 100)
      assert.isFalse((yield* emulator.requestLog).some((entry) => entry.method === "DELETE"))
      const capped = yield* Batch.run(songs(seeded.dislikes), { maxDeletions: 37, concurrency: 8 }).pipe(
        Effect.provide(client(emulator))
      )
      assert.strictEqual(capped.deleted, 37)
      assert.strictEqual((yield* emulator.requestLog).filter((entry) => entry.method === "DELETE").length, 37)
      assert.strictEqual(yield* emulator.store.count(), 63)
    }))
})
