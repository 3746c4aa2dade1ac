import { assert, describe, it } from "@effect/vitest"
import {
  AppleMusicRatings,
  Batch,
  InMemoryRatings,
  Journal,
  RateLimiter,
  RatingsError,
  RetryPolicy
} from "@unrate/core"
import { Cause, Chunk, Deferred, Effect, Exit, Fiber, Layer, Stream, TestClock } from "effect"

const songs = (ids: ReadonlyArray<string>) =>
  Stream.fromIterable(ids).pipe(Stream.map((id): Batch.Target => ({ kind: "library-songs", id })))

const ids = (n: number, prefix = "i.song") => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

const rated = (list: ReadonlyArray<string>, value: 1 | -1 = -1) =>
  list.map((id) => ["library-songs", id, value] as const)

/**
 * A store whose DELETEs take 100 ms of TestClock time each, logging when each
 * one starts and answers, behind the real service with no retries and no limit.
 */
const slowDeletes = Effect.gen(function*() {
  const store = yield* InMemoryRatings.makeStore()
  const events: Array<string> = []
  const backend = {
    ...store.backend,
    deleteRating: (request: Parameters<typeof store.backend.deleteRating>[0]) =>
      Effect.sync(() => void events.push(`start ${request.id}`)).pipe(
        Effect.zipRight(Effect.sleep("100 millis")),
        Effect.zipRight(store.backend.deleteRating(request)),
        Effect.ensuring(Effect.sync(() => void events.push(`answer ${request.id}`)))
      )
  }
  const service = yield* AppleMusicRatings.make(backend, {
    retry: RetryPolicy.never,
    rateLimiter: RateLimiter.unlimited
  })
  return { store, events, layer: Layer.succeed(AppleMusicRatings.AppleMusicRatings, service) }
})

describe("Batch", () => {
  it.effect("the first DELETE goes alone: no other DELETE starts before it has answered", () =>
    Effect.gen(function*() {
      const { events, layer, store } = yield* slowDeletes
      yield* store.seed(rated(ids(20)))
      const fiber = yield* Effect.fork(Batch.run(songs(ids(20)), { concurrency: 8 }).pipe(Effect.provide(layer)))
      yield* TestClock.adjust("50 millis")
      const whileFirstInFlight = [...events]
      yield* TestClock.adjust("1 second")
      const summary = yield* Fiber.join(fiber)
      assert.deepStrictEqual(whileFirstInFlight, ["start i.song0"], "a DELETE started while the first was in flight")
      assert.deepStrictEqual(events.slice(0, 2), ["start i.song0", "answer i.song0"])
      assert.strictEqual(summary.deleted, 20)
      assert.strictEqual(events.filter((event) => event.startsWith("start")).length, 20)
      assert.isAbove(events.indexOf("answer i.song1"), events.indexOf("start i.song7"), "the rest went 8 at a time")
    }))

  it.effect("at a low rate, retries of 429s waiting for their slot inside the send still end", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.makeStore()
      yield* store.seed(rated(ids(60)))
      const refused = new Set<string>()
      const backend = {
        ...store.backend,
        deleteRating: (request: Parameters<typeof store.backend.deleteRating>[0]) =>
          Effect.suspend(() =>
            refused.has(request.id)
              ? store.backend.deleteRating(request)
              : Effect.fail(
                new RatingsError.RateLimited({ status: 429, operation: "delete", kind: request.kind, id: request.id })
              ).pipe(Effect.ensuring(Effect.sync(() => void refused.add(request.id))))
          )
      }
      const service = yield* AppleMusicRatings.make(backend, { rate: 5 })
      const fiber = yield* Effect.fork(
        Batch.run(songs(ids(60)), { concurrency: 32, rate: 5, fixedRate: true }).pipe(
          Effect.provideService(AppleMusicRatings.AppleMusicRatings, service)
        )
      )
      // 120 requests at 5 a second or less: well within 10 minutes
      for (let second = 0; second < 600 && (yield* Fiber.poll(fiber))._tag === "None"; second++) {
        yield* TestClock.adjust("1 second")
      }
      const done = yield* Fiber.poll(fiber)
      assert.strictEqual(done._tag, "Some", "the batch had not ended after 10 minutes")
      const summary = yield* Fiber.join(fiber)
      assert.strictEqual(summary.deleted, 60, JSON.stringify({ ...summary, failures: summary.failures.slice(0, 2) }))
      assert.strictEqual(yield* store.count(), 0)
    }))

  it.effect("a refused token on the first DELETE costs exactly one request at concurrency 8", () =>
    Effect.gen(function*() {
      for (const [status, tag] of [[401, "Unauthorized"], [403, "Forbidden"]] as const) {
        const { events, layer, store } = yield* slowDeletes
        yield* store.seed(rated(ids(50)))
        yield* store.failAlways(status)
        const fiber = yield* Effect.fork(Batch.run(songs(ids(50)), { concurrency: 8 }).pipe(Effect.provide(layer)))
        yield* TestClock.adjust("1 second")
        const summary = yield* Fiber.join(fiber)
        assert.strictEqual(summary.stoppedBy, tag)
        assert.deepStrictEqual(events, ["start i.song0", "answer i.song0"])
        assert.deepStrictEqual((yield* store.requests).map((request) => request._tag), ["DeleteRating"])
        assert.deepStrictEqual([summary.failed, summary.deleted, summary.requests], [1, 0, 1])
        assert.strictEqual(yield* store.count(), 50)
      }
    }))

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

  it.effect("every journal entry carries the time it was written: each intent before its DELETE, each outcome at the answer", () =>
    Effect.gen(function*() {
      const { layer, store } = yield* slowDeletes
      yield* store.seed(rated(ids(3)))
      const journal = yield* Journal.memory()
      const fiber = yield* Effect.fork(
        Batch.run(songs(ids(3)), { concurrency: 1, journal }).pipe(Effect.provide(layer))
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      // Each DELETE takes 100 ms: the intent of the k-th is written at k × 100 ms, its answer 100 ms later.
      const at = (millis: number) => new Date(millis).toISOString()
      assert.deepStrictEqual(journal.lines.map((entry) => `${entry.outcome} ${entry.id} ${entry.at}`), [
        `intent i.song0 ${at(0)}`,
        `deleted i.song0 ${at(100)}`,
        `intent i.song1 ${at(100)}`,
        `deleted i.song1 ${at(200)}`,
        `intent i.song2 ${at(200)}`,
        `deleted i.song2 ${at(300)}`
      ])
    }))

  it.effect("a group write that fails for good keeps its outcomes as unrecorded (not its intent, whose DELETE is not sent)", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(5)))
      const memory = yield* Journal.memory()
      let groups = 0
      const journal: Journal.Journal = {
        ...memory,
        appendAll: (entries) =>
          ++groups > 3
            ? Effect.fail(new Journal.JournalError({ path: "memory", reason: "cannot be written (ENOSPC)" }))
            : memory.appendAll!(entries)
      }
      const summary = yield* Batch.run(songs(ids(5)), { concurrency: 1, journal })
      // One at a time, each outcome rides with the next intent: the fourth group is song2's outcome and song3's intent.
      assert.deepStrictEqual(memory.lines.map((entry) => `${entry.outcome} ${entry.id}`), [
        "intent i.song0",
        "deleted i.song0",
        "intent i.song1",
        "deleted i.song1",
        "intent i.song2"
      ])
      assert.strictEqual(summary.stoppedBy, "JournalError")
      assert.deepStrictEqual(summary.unrecorded, [
        { kind: "library-songs", id: "i.song2", outcome: "deleted", value: -1 }
      ])
      assert.deepStrictEqual(
        (yield* store.requests).filter((request) => request._tag === "DeleteRating").map((request) => request.id),
        ["i.song0", "i.song1", "i.song2"]
      )
      assert.strictEqual(summary.deleted, 3)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("a journal write that fails twice is tried a third time; three failures in a row stop the batch", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(3)))
      const flaky = (failuresPerEntry: number) =>
        Effect.map(Journal.memory(), (memory) => {
          const tries = new Map<string, number>()
          const journal: Journal.Journal = {
            ...memory,
            append: (entry) =>
              Effect.suspend(() => {
                const k = `${entry.outcome} ${entry.id}`
                const n = (tries.get(k) ?? 0) + 1
                tries.set(k, n)
                return n <= failuresPerEntry
                  ? Effect.fail(new Journal.JournalError({ path: "flaky", reason: "cannot be written (EIO)" }))
                  : memory.append(entry)
              })
          }
          return { journal, lines: memory.lines }
        })
      const twice = yield* flaky(2)
      const recovered = yield* Batch.run(songs(ids(3)), { journal: twice.journal, concurrency: 1 })
      assert.strictEqual(recovered.stoppedBy, null)
      assert.strictEqual(recovered.deleted, 3)
      assert.deepStrictEqual(twice.lines.filter((e) => e.outcome === "deleted").map((e) => e.id), ids(3))
      yield* store.seed(rated(ids(3)))
      const thrice = yield* flaky(3)
      const stopped = yield* Batch.run(songs(ids(3)), { journal: thrice.journal, concurrency: 1 })
      assert.strictEqual(stopped.stoppedBy, "JournalError")
      assert.strictEqual(stopped.deleted, 0)
      assert.strictEqual(
        (yield* store.requests).filter((request) => request._tag === "DeleteRating").length,
        3,
        "no DELETE without its intent"
      )
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
      assert.deepStrictEqual(lookups.map((request) => request._tag === "GetRatings" && request.ids), [
        input.slice(0, 100),
        input.slice(100, 200),
        input.slice(200)
      ])
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

  for (const value of ["like", "all"] as const) {
    it.effect(`sweep with value ${value} deletes exactly the matching ratings, nothing else`, () =>
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        const seeded = yield* store.seedLibrary({ kind: "library-songs", size: 1000, dislikes: 0.15, likes: 0.1 })
        const elsewhere = [["songs", "907242702", 1], ["library-albums", "l.cgdliw7", -1]] as const
        yield* store.seed(elsewhere)
        const journal = yield* Journal.memory()
        const summary = yield* Batch.sweep("library-songs", { value, journal })
        const matching = value === "like" ? seeded.likes : [...seeded.likes, ...seeded.dislikes]
        const kept = value === "like" ? seeded.dislikes : []
        assert.deepStrictEqual([summary.scanned, summary.matched, summary.deleted, summary.failed], [
          1000,
          matching.length,
          matching.length,
          0
        ])
        const deleted = (yield* store.requests).flatMap((request) =>
          request._tag === "DeleteRating" ? [`${request.kind} ${request.id}`] : []
        )
        assert.deepStrictEqual(deleted.sort(), matching.map((id) => `library-songs ${id}`).sort())
        for (const id of matching) assert.isUndefined(yield* store.lookup("library-songs", id))
        for (const id of kept) assert.strictEqual(yield* store.lookup("library-songs", id), -1)
        for (const [kind, id, rating] of elsewhere) assert.strictEqual(yield* store.lookup(kind, id), rating)
        assert.strictEqual(yield* store.count(), kept.length + elsewhere.length)
        const values = journal.lines.filter((entry) => entry.outcome === "deleted").map((entry) => entry.value)
        assert.deepStrictEqual([values.filter((v) => v === 1).length, values.filter((v) => v === -1).length], [
          seeded.likes.length,
          value === "like" ? 0 : seeded.dislikes.length
        ])
      }).pipe(Effect.provide(InMemoryRatings.layer())))
  }

  it.effect("a sweep with confirm asks once, after the scan and before any DELETE; no deletes nothing", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seedLibrary({ kind: "library-songs", size: 300, dislikes: 0.1 })
      const asked: Array<Batch.SweepFound> = []
      const deletesWhenAsked: Array<number> = []
      const deletes = Effect.map(store.requests, (requests) => requests.filter((r) => r._tag === "DeleteRating").length)
      const confirm = (answer: boolean) => (found: Batch.SweepFound) =>
        Effect.gen(function*() {
          asked.push(found)
          deletesWhenAsked.push(yield* deletes)
          return answer
        })
      const declined = yield* Batch.sweep("library-songs", { confirm: confirm(false) })
      assert.deepStrictEqual(asked, [{ kind: "library-songs", value: "dislike", scanned: 300, matched: 30 }])
      assert.deepStrictEqual([declined.stoppedBy, declined.deleted, yield* deletes], ["Declined", 0, 0])
      assert.strictEqual(yield* store.count(), 30)
      const accepted = yield* Batch.sweep("library-songs", { confirm: confirm(true) })
      assert.deepStrictEqual([accepted.stoppedBy, accepted.deleted, yield* deletes], [null, 30, 30])
      assert.deepStrictEqual(deletesWhenAsked, [0, 0])
      const nothing = yield* Batch.sweep("library-songs", { confirm: confirm(true) })
      assert.deepStrictEqual([nothing.matched, asked.length], [0, 2])
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it("declined: the summary of a batch a person said no to, with nothing sent", () => {
    const summary = Batch.declined(5)
    assert.deepStrictEqual(
      [summary.requested, summary.deleted, summary.planned, summary.requests, summary.dryRun, summary.stoppedBy],
      [5, 0, 0, 0, false, "Declined"]
    )
    assert.deepStrictEqual([summary.failures, summary.unrecorded], [[], []])
  })

  it.effect("a sweep's progress has the library's size from the first page, and the items scanned so far", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.makeStore()
      yield* store.seedLibrary({ kind: "library-songs", size: 250, dislikes: 0.2, likes: 0 })
      const secondPage = yield* Deferred.make<void>()
      const open = yield* Deferred.make<void>()
      const backend = {
        ...store.backend,
        listLibraryPage: (request: Parameters<typeof store.backend.listLibraryPage>[0]) =>
          request.cursor === undefined
            ? store.backend.listLibraryPage(request)
            : Deferred.succeed(secondPage, undefined).pipe(
              Effect.zipRight(Deferred.await(open)),
              Effect.zipRight(store.backend.listLibraryPage(request))
            )
      }
      const service = yield* AppleMusicRatings.make(backend, {
        retry: RetryPolicy.never,
        rateLimiter: RateLimiter.unlimited
      })
      const snapshots: Array<Batch.Progress> = []
      const fiber = yield* Batch.sweep("library-songs", {
        onProgress: (progress) => Effect.sync(() => void snapshots.push(progress)),
        progressInterval: "1 second"
      }).pipe(Effect.provide(Layer.succeed(AppleMusicRatings.AppleMusicRatings, service)), Effect.fork)
      yield* Deferred.await(secondPage)
      yield* TestClock.adjust("1 second")
      const scanning = snapshots[snapshots.length - 1]!
      yield* Deferred.succeed(open, undefined)
      const summary = yield* Fiber.join(fiber)
      const last = snapshots[snapshots.length - 1]!
      assert.deepStrictEqual([scanning.scanned, scanning.libraryTotal, scanning.done], [100, 250, false])
      assert.deepStrictEqual([last.scanned, last.libraryTotal, last.done], [250, 250, true])
      assert.deepStrictEqual([summary.scanned, summary.matched, summary.deleted], [250, 50, 50])
    }))

  it.effect("a stop during a sweep's scan ends the scan and asks nothing", () =>
    Effect.gen(function*() {
      let asked = 0
      const service: AppleMusicRatings.Service = {
        deleteRating: () => Effect.die("nothing may be deleted"),
        getRating: () => Effect.die("not used"),
        getRatings: (_kind, ids) =>
          Effect.succeed([...ids].map((id) => ({ kind: "library-songs" as const, id, value: -1 as const }))),
        setRating: () => Effect.die("not used"),
        // A library whose listing never ends, as a long one seems to a person pressing Ctrl-C.
        listLibrary: () =>
          Stream.concat(Stream.fromIterable(ids(150).map((id) => ({ id, type: "library-songs" }))), Stream.never)
      }
      const stop = yield* Deferred.make<void>()
      const fiber = yield* Batch.sweep("library-songs", {
        stop: Deferred.await(stop),
        confirm: () => Effect.sync(() => ++asked > 0)
      }).pipe(Effect.provide(Layer.succeed(AppleMusicRatings.AppleMusicRatings, service)), Effect.fork)
      yield* TestClock.adjust("1 second")
      yield* Deferred.succeed(stop, undefined)
      const summary = yield* Fiber.join(fiber)
      assert.deepStrictEqual([summary.stoppedBy, summary.deleted, asked], ["Interrupted", 0, 0])
    }))

  it.effect("a sweep whose listing is refused stops with the error's tag", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seedLibrary({ kind: "library-songs", size: 10, dislikes: 0.5 })
      yield* store.failAlways(401)
      const summary = yield* Batch.sweep("library-songs")
      assert.strictEqual(summary.stoppedBy, "Unauthorized")
      assert.strictEqual(summary.deleted, 0)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  describe("the one engine", () => {
    it.effect("requests and retries are counted by the service: scripted 503s give exact figures", () =>
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        yield* store.seed(rated(ids(10)))
        const journal = yield* Journal.memory()
        // The lookup (one GET of 10 ids) answers 503 twice, then the first DELETE once.
        yield* store.failNext(3, 503)
        const summary = yield* Batch.run(songs(ids(10)), { journal, concurrency: 1 })
        assert.deepStrictEqual([summary.deleted, summary.failed], [10, 0])
        assert.strictEqual(summary.requests, (yield* store.requests).length)
        assert.deepStrictEqual([summary.requests, summary.retries], [1 + 2 + 10 + 1, 3])
      }).pipe(Effect.provide(InMemoryRatings.layer())))

    it.effect("a sweep counts its list pages, lookups and DELETEs as requests, each retry once", () =>
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        yield* store.seedLibrary({ kind: "library-songs", size: 250, dislikes: 0.2 })
        yield* store.failNext(2, 503)
        const summary = yield* Batch.sweep("library-songs", { concurrency: 1 })
        assert.deepStrictEqual([summary.scanned, summary.matched, summary.deleted], [250, 50, 50])
        // 3 pages of the library, 3 lookups of up to 100 ids, 50 DELETEs, and the 2 retries.
        assert.deepStrictEqual([summary.requests, summary.retries], [3 + 3 + 50 + 2, 2])
      }).pipe(Effect.provide(InMemoryRatings.layer())))

    it.effect("a hand-written mock of only the five operations runs a batch, data-last", () =>
      Effect.gen(function*() {
        const ratings = new Map(ids(5).map((id) => [id, -1 as const]))
        const service: AppleMusicRatings.Service = {
          deleteRating: (_kind, id) =>
            ratings.delete(id)
              ? Effect.void
              : Effect.fail(new RatingsError.NotFound({ operation: "delete", id, status: 404 })),
          getRating: () => Effect.die("not used"),
          getRatings: () => Effect.succeed([]),
          setRating: () => Effect.die("not used"),
          listLibrary: () => Stream.empty
        }
        const summary = yield* songs([...ids(5), "i.song0", "i.none"]).pipe(
          Batch.run({ concurrency: 2 }),
          Effect.provide(Layer.succeed(AppleMusicRatings.AppleMusicRatings, service))
        )
        assert.deepStrictEqual(
          [summary.requested, summary.deleted, summary.skipped, summary.absent, summary.requests],
          [7, 5, 1, 1, 0]
        )
        assert.strictEqual(ratings.size, 0)
      }))

    it.effect("a defect in the DELETEs ends the batch with that defect instead of hanging", () =>
      Effect.gen(function*() {
        const service: AppleMusicRatings.Service = {
          deleteRating: () => Effect.die("a bug in a hand-written service"),
          getRating: () => Effect.die("not used"),
          getRatings: () => Effect.succeed([]),
          setRating: () => Effect.die("not used"),
          listLibrary: () => Stream.empty
        }
        const exit = yield* Batch.run(songs(ids(1000)), { concurrency: 2 }).pipe(
          Effect.provide(Layer.succeed(AppleMusicRatings.AppleMusicRatings, service)),
          Effect.exit
        )
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) {
          assert.deepStrictEqual(
            [...new Set(Chunk.toReadonlyArray(Cause.defects(exit.cause)))],
            ["a bug in a hand-written service"]
          )
        }
      }))

    it.effect("Batch.run is dual: data-first and data-last give the same summary", () =>
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        yield* store.seed(rated(ids(6)))
        const first = yield* Batch.run(songs(ids(3)), { maxDeletions: 2 })
        const last = yield* songs(ids(6).slice(3)).pipe(Batch.run({ maxDeletions: 2 }))
        assert.deepStrictEqual([first.deleted, first.capReached], [2, true])
        assert.deepStrictEqual({ ...last, elapsedMillis: 0 }, { ...first, elapsedMillis: 0 })
        assert.strictEqual(yield* store.count(), 2)
        const noOptions = yield* Batch.run(songs(["i.song2"]))
        assert.deepStrictEqual([noOptions.deleted, yield* store.count()], [1, 1])
      }).pipe(Effect.provide(InMemoryRatings.layer())))

    it.effect("without a rate the engine waits on the client's own limiter, and a stop ends that wait", () =>
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        yield* store.seed(rated(ids(10)))
        const journal = yield* Journal.memory()
        const stop = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(
          Batch.run(songs(ids(10)), { concurrency: 4, journal, stop: Deferred.await(stop) })
        )
        yield* TestClock.adjust("1 second")
        yield* Deferred.succeed(stop, undefined)
        const summary = yield* Fiber.join(fiber)
        // The client allows one request per 1,000 s: the lookup took the first slot, nothing else was sent.
        assert.deepStrictEqual([summary.stoppedBy, summary.deleted, summary.requests], ["Interrupted", 0, 1])
        assert.strictEqual(yield* store.count(), 10)
        assert.deepStrictEqual(journal.lines.map((entry) => entry.outcome), [])
      }).pipe(Effect.provide(InMemoryRatings.layer({ rate: 0.001 }))))
  })

  describe("restore", () => {
    const at = "2025-01-01T00:00:00.000Z"
    const deletedLines = (list: ReadonlyArray<string>, value: 1 | -1 = -1): Array<Journal.Entry> =>
      list.map((id) => ({ outcome: "deleted", kind: "library-songs", id, value, at }))
    const puts = (requests: ReadonlyArray<{ readonly _tag: string; readonly id?: string }>) =>
      requests.flatMap((request) => request._tag === "SetRating" ? [request.id] : [])

    it.effect("restore's outcome is Restored, counted in restored (never deleted), in the summary and progress", () =>
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        const journal = yield* Journal.memory([
          ...deletedLines(["i.a", "i.b"], -1),
          { outcome: "restored", kind: "library-songs", id: "i.c", value: 1, at }
        ])
        const tags: Array<string> = []
        const snapshots: Array<Batch.Progress> = []
        const summary = yield* Batch.restore(journal, {
          onOutcome: (outcome) => Effect.sync(() => void tags.push(`${outcome._tag} ${outcome.target.id}`)),
          onProgress: (progress) => Effect.sync(() => void snapshots.push(progress))
        })
        assert.deepStrictEqual(tags.sort(), ["Restored i.a", "Restored i.b", "Skipped i.c"])
        assert.deepStrictEqual([summary.restored, summary.deleted, summary.skipped, summary.requests], [2, 0, 1, 2])
        const last = snapshots.at(-1)!
        assert.deepStrictEqual([last.done, last.restored, last.deleted, last.total], [true, 2, 0, 3])
        assert.strictEqual(yield* store.lookup("library-songs", "i.a"), -1)
      }).pipe(Effect.provide(InMemoryRatings.layer())))

    it.effect("a PUT answering 503 until the retries run out is failed and restore-failed, never restored", () =>
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        const journal = yield* Journal.memory([...deletedLines(["i.a"], -1), ...deletedLines(["i.b"], 1)])
        yield* store.failAlways(503)
        const first = yield* Batch.restore(journal, { concurrency: 1 })
        assert.deepStrictEqual([first.restored, first.failed, first.skipped, first.stoppedBy], [0, 2, 0, null])
        assert.deepStrictEqual(first.failures.map((failure) => [failure.id, failure.error]), [
          ["i.a", "ServerError"],
          ["i.b", "ServerError"]
        ])
        assert.deepStrictEqual(puts(yield* store.requests), [...Array(9).fill("i.a"), ...Array(9).fill("i.b")])
        assert.deepStrictEqual(
          journal.lines.slice(2).map((entry) => [entry.outcome, entry.id, entry.value, entry.error]),
          [
            ["restore-intent", "i.a", -1, undefined],
            ["restore-failed", "i.a", -1, "ServerError"],
            ["restore-intent", "i.b", 1, undefined],
            ["restore-failed", "i.b", 1, "ServerError"]
          ]
        )
        assert.strictEqual(yield* store.count(), 0)

        yield* store.clearFailures
        const second = yield* Batch.restore(journal, { concurrency: 1 })
        assert.deepStrictEqual([second.restored, second.failed, second.skipped], [2, 0, 0])
        assert.strictEqual(puts(yield* store.requests).length, 20)
        assert.strictEqual(yield* store.lookup("library-songs", "i.a"), -1)
        assert.strictEqual(yield* store.lookup("library-songs", "i.b"), 1)
        assert.deepStrictEqual(journal.lines.slice(6).map((entry) => [entry.outcome, entry.id]), [
          ["restore-intent", "i.a"],
          ["restored", "i.a"],
          ["restore-intent", "i.b"],
          ["restored", "i.b"]
        ])
      }).pipe(Effect.provide(InMemoryRatings.layer())))

    it.effect("a 403 stops restore at once: no PUT after it, stoppedBy Forbidden, the rest restored next time", () =>
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.makeStore()
        const sent: Array<string> = []
        const service = yield* AppleMusicRatings.make({
          ...store.backend,
          setRating: (request) =>
            sent.push(request.id) === 3
              ? Effect.fail(RatingsError.fromStatus(403, { operation: "set", kind: request.kind, id: request.id }))
              : store.backend.setRating(request)
        }, { retry: InMemoryRatings.immediateRetry, rateLimiter: RateLimiter.unlimited })
        const layer = Layer.succeed(AppleMusicRatings.AppleMusicRatings, service)
        const targets = ids(10, "i.r")
        const journal = yield* Journal.memory(deletedLines(targets))
        const summary = yield* Batch.restore(journal, { concurrency: 1 }).pipe(Effect.provide(layer))
        assert.deepStrictEqual([summary.restored, summary.failed, summary.stoppedBy], [2, 1, "Forbidden"])
        assert.include(summary.stopMessage ?? "", "Re-authorize")
        assert.deepStrictEqual(sent, targets.slice(0, 3))
        assert.deepStrictEqual(journal.lines.slice(10).map((entry) => [entry.outcome, entry.id]), [
          ["restore-intent", "i.r0"],
          ["restored", "i.r0"],
          ["restore-intent", "i.r1"],
          ["restored", "i.r1"],
          ["restore-intent", "i.r2"],
          ["restore-failed", "i.r2"]
        ])

        const again = yield* Batch.restore(journal, { concurrency: 1 }).pipe(Effect.provide(layer))
        assert.deepStrictEqual([again.restored, again.failed, again.skipped, again.stoppedBy], [8, 0, 2, null])
        assert.deepStrictEqual(sent, [...targets.slice(0, 3), ...targets.slice(2)])
        assert.strictEqual(yield* store.count(), 10)
      }))

    it.effect("a deleted line without a value is not PUT: failed, naming the id and the missing value", () =>
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        const journal = yield* Journal.memory([
          { outcome: "deleted", kind: "library-songs", id: "i.novalue", at },
          ...deletedLines(["i.known"], 1)
        ])
        const summary = yield* Batch.restore(journal, { concurrency: 1 })
        assert.deepStrictEqual([summary.restored, summary.failed, summary.stoppedBy], [1, 1, null])
        assert.strictEqual(summary.failures.length, 1)
        const failure = summary.failures[0]!
        assert.deepStrictEqual([failure.kind, failure.id, failure.error], [
          "library-songs",
          "i.novalue",
          "UnknownValue"
        ])
        assert.include(failure.message, "library-songs i.novalue")
        assert.match(failure.message, /value/)
        assert.deepStrictEqual(puts(yield* store.requests), ["i.known"])
        assert.isUndefined(yield* store.lookup("library-songs", "i.novalue"))
        assert.isFalse(journal.lines.some((entry) => entry.id === "i.novalue" && entry.outcome === "restored"))
      }).pipe(Effect.provide(InMemoryRatings.layer())))
  })

  it.effect("a batch's limiter probes from initialRate to its rate ceiling; progress and summary show the rate", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      const ids = Array.from({ length: 400 }, (_, i) => `i.probe${i}`)
      yield* store.seed(ids.map((id) => ["library-songs", id, -1] as const))
      const rates: Array<number | undefined> = []
      const fiber = yield* Effect.fork(Batch.run(songs(ids), {
        initialRate: 10,
        rate: 40,
        concurrency: 8,
        onProgress: (progress) => Effect.sync(() => void rates.push(progress.rate))
      }))
      for (let second = 0; second < 30; second++) yield* TestClock.adjust("1 second")
      const summary = yield* Fiber.join(fiber)
      assert.strictEqual(summary.deleted, 400)
      assert.strictEqual(rates[0], 10)
      assert.isAbove(rates[3]!, 10, "no 429: the rate rises")
      assert.isTrue(rates.every((rate) => rate !== undefined && rate <= 40), "never past the ceiling")
      assert.deepStrictEqual(summary.rate, { final: 40, peak: 40 })
      // 400 at 10 a second would take 40 seconds; probing up to 40 a second, well under 20
      assert.isBelow(summary.elapsedMillis, 20_000)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("fixedRate: exactly rate, no probing", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      const ids = Array.from({ length: 60 }, (_, i) => `i.fixed${i}`)
      yield* store.seed(ids.map((id) => ["library-songs", id, -1] as const))
      const rates: Array<number | undefined> = []
      const fiber = yield* Effect.fork(Batch.run(songs(ids), {
        rate: 10,
        initialRate: 5,
        fixedRate: true,
        onProgress: (progress) => Effect.sync(() => void rates.push(progress.rate))
      }))
      for (let second = 0; second < 10; second++) yield* TestClock.adjust("1 second")
      const summary = yield* Fiber.join(fiber)
      assert.isTrue(rates.length > 5 && rates.every((rate) => rate === 10), `${rates}`)
      assert.deepStrictEqual(summary.rate, { final: 10, peak: 10 })
      assert.isAtLeast(summary.elapsedMillis, 5_900, "60 at 10 a second")
    }).pipe(Effect.provide(InMemoryRatings.layer())))
})
