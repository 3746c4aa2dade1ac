import { assert, describe, it } from "@effect/vitest"
import { Batch, InMemoryRatings, Journal } from "@unrate/core"
import { Chunk, Deferred, Effect, Fiber, Stream, TestClock } from "effect"

const songs = (ids: ReadonlyArray<string>) =>
  Stream.fromIterable(ids).pipe(Stream.map((id): Batch.Target => ({ kind: "library-songs", id })))

const ids = (n: number, prefix = "i.song") => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

const rated = (list: ReadonlyArray<string>, value: 1 | -1 = -1) =>
  list.map((id) => ["library-songs", id, value] as const)

describe("Batch", () => {
  it.effect("deletes every target once: deleted, absent, invalid and duplicates each counted", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(10)))
      const input = [...ids(12), "i.song0", "../etc", "i.song3"]
      const summary = yield* Batch.run(songs(input), { concurrency: 4 })
      assert.deepStrictEqual(
        [summary.requested, summary.deleted, summary.absent, summary.invalid, summary.skipped, summary.failed],
        [15, 10, 2, 1, 2, 0]
      )
      assert.strictEqual(summary.stoppedBy, null)
      assert.deepStrictEqual(summary.failures.map((failure) => [failure.id, failure.error]), [["../etc", "InvalidId"]])
      assert.strictEqual(yield* store.count(), 0)
      const deletes = (yield* store.requests).filter((request) => request._tag === "DeleteRating")
      assert.strictEqual(deletes.length, 12)
      assert.strictEqual(new Set(deletes.map((request) => request._tag === "DeleteRating" && request.id)).size, 12)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("stops at the first 403: nothing new is sent, the summary names the cause", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(100)))
      yield* store.failAlways(403)
      const summary = yield* Batch.run(songs(ids(100)), { concurrency: 1 })
      assert.strictEqual(summary.stoppedBy, "Forbidden")
      assert.include(summary.stopMessage ?? "", "Re-authorize")
      assert.strictEqual(summary.failed, 1)
      assert.strictEqual((yield* store.requests).length, 1)
      const journal = yield* Journal.memory()
      const withJournal = yield* Batch.run(songs(ids(100)), { journal })
      assert.strictEqual(withJournal.stoppedBy, "Forbidden")
      assert.strictEqual(withJournal.failed, 0)
      assert.strictEqual((yield* store.requests).length, 2)
      assert.strictEqual(journal.lines.length, 0)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("with a journal: looks values up in batches of 100, records them, and skips what is done", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(150, "i.a"), -1))
      yield* store.seed(rated(ids(50, "i.b"), 1))
      const journal = yield* Journal.memory()
      const input = [...ids(150, "i.a"), ...ids(50, "i.b"), ...ids(50, "i.c")]
      const first = yield* Batch.run(songs(input), { journal, concurrency: 8 })
      assert.deepStrictEqual([first.deleted, first.absent], [200, 50])
      const lookups = (yield* store.requests).filter((request) => request._tag === "GetRatings")
      assert.strictEqual(lookups.length, 3)
      assert.isTrue(lookups.every((request) => request._tag === "GetRatings" && request.ids.length <= 100))
      const deletes = (yield* store.requests).filter((request) => request._tag === "DeleteRating")
      assert.strictEqual(deletes.length, 200)
      const values = new Map(journal.lines.filter((entry) => entry.outcome === "deleted").map((e) => [e.id, e.value]))
      assert.strictEqual(values.get("i.a0"), -1)
      assert.strictEqual(values.get("i.b0"), 1)
      assert.strictEqual(journal.lines.filter((entry) => entry.outcome !== "intent").length, 250)
      const before = (yield* store.requests).length
      const second = yield* Batch.run(songs(input), { journal })
      assert.strictEqual(second.skipped, 250)
      assert.strictEqual((yield* store.requests).length, before)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("restore puts every deleted rating back with its value, once", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(30, "i.a"), -1))
      yield* store.seed(rated(ids(20, "i.b"), 1))
      const journal = yield* Journal.memory()
      yield* Batch.run(songs([...ids(30, "i.a"), ...ids(20, "i.b")]), { journal })
      assert.strictEqual(yield* store.count(), 0)
      const restored = yield* Batch.restore(journal)
      assert.deepStrictEqual([restored.restored, restored.failed, restored.skipped], [50, 0, 0])
      assert.strictEqual(yield* store.lookup("library-songs", "i.a3"), -1)
      assert.strictEqual(yield* store.lookup("library-songs", "i.b3"), 1)
      const puts = (yield* store.requests).filter((request) => request._tag === "SetRating").length
      const again = yield* Batch.restore(journal)
      assert.deepStrictEqual([again.restored, again.skipped], [0, 50])
      assert.strictEqual((yield* store.requests).filter((request) => request._tag === "SetRating").length, puts)
      const rerun = yield* Batch.run(songs(ids(30, "i.a")), { journal })
      assert.strictEqual(rerun.deleted, 30)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("dry run sends no DELETE and plans up to the cap", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(20)))
      const summary = yield* Batch.run(songs(ids(20)), { dryRun: true, maxDeletions: 7 })
      assert.deepStrictEqual([summary.planned, summary.deleted, summary.dryRun, summary.capReached], [7, 0, true, true])
      assert.strictEqual((yield* store.requests).length, 0)
      assert.strictEqual(yield* store.count(), 20)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("the cap stops at exactly N deletions, absent targets not counted", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      const all = ids(100)
      yield* store.seed(rated(all.filter((_, i) => i % 3 !== 0)))
      const summary = yield* Batch.run(songs(all), { maxDeletions: 25, concurrency: 8 })
      assert.strictEqual(summary.deleted, 25)
      assert.isTrue(summary.capReached)
      assert.strictEqual(summary.stoppedBy, null)
      const left = yield* store.count()
      assert.strictEqual(left, all.filter((_, i) => i % 3 !== 0).length - 25)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("a stop request starts nothing new and ends with stoppedBy Interrupted", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(50)))
      const stop = yield* Deferred.make<void>()
      const summary = yield* Batch.run(songs(ids(50)), {
        concurrency: 1,
        stop: Deferred.await(stop),
        onOutcome: (outcome) =>
          outcome._tag === "Deleted" && outcome.target.id === "i.song9"
            ? Deferred.succeed(stop, undefined)
            : Effect.void
      })
      assert.strictEqual(summary.stoppedBy, "Interrupted")
      assert.isAtLeast(summary.deleted, 10)
      assert.isAtMost(summary.deleted, 20)
      assert.strictEqual(yield* store.count(), 50 - summary.deleted)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("retries failures and reports progress with requests and retries", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(40)))
      yield* store.failNext(3, 503)
      const snapshots: Array<Batch.Progress> = []
      const fiber = yield* Effect.fork(Batch.run(songs(ids(40)), {
        rate: 10,
        total: 40,
        onProgress: (progress) => Effect.sync(() => void snapshots.push(progress))
      }))
      yield* TestClock.adjust("2 seconds")
      const middle = snapshots.at(-1)!
      assert.isFalse(middle.done)
      assert.isAbove(middle.deleted, 0)
      assert.isBelow(middle.deleted, 40)
      assert.isDefined(middle.etaSeconds)
      yield* TestClock.adjust("10 seconds")
      const summary = yield* Fiber.join(fiber)
      assert.strictEqual(summary.deleted, 40)
      assert.strictEqual(summary.requests, 43)
      assert.strictEqual(summary.retries, 3)
      const last = snapshots.at(-1)!
      assert.isTrue(last.done)
      assert.strictEqual(last.deleted, 40)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("streams outcomes as they land", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(5)))
      const outcomes = yield* Stream.runCollect(Batch.outcomes(songs([...ids(6), "a b"])))
      const tags = Chunk.toReadonlyArray(outcomes).map((outcome) => outcome._tag).sort()
      assert.deepStrictEqual(tags, ["Absent", "Deleted", "Deleted", "Deleted", "Deleted", "Deleted", "Invalid"])
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("sweep deletes exactly the matching ratings of a library", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      const seeded = yield* store.seedLibrary({ kind: "library-songs", size: 1000, dislikes: 0.15, likes: 0.1 })
      const journal = yield* Journal.memory()
      const summary = yield* Batch.sweep("library-songs", { value: "dislike", journal })
      assert.deepStrictEqual([summary.scanned, summary.matched, summary.deleted], [1000, 150, 150])
      for (const id of seeded.likes) assert.strictEqual(yield* store.lookup("library-songs", id), 1)
      for (const id of seeded.dislikes) assert.isUndefined(yield* store.lookup("library-songs", id))
      const restored = yield* Batch.restore(journal)
      assert.strictEqual(restored.restored, 150)
      for (const id of seeded.dislikes) assert.strictEqual(yield* store.lookup("library-songs", id), -1)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("a sweep whose listing is refused stops with the error's tag", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seedLibrary({ kind: "library-songs", size: 10, dislikes: 0.5 })
      yield* store.failAlways(401)
      const summary = yield* Batch.sweep("library-songs")
      assert.strictEqual(summary.stoppedBy, "Unauthorized")
      assert.strictEqual(summary.deleted, 0)
    }).pipe(Effect.provide(InMemoryRatings.layer())))
})
