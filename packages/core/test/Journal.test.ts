import { assert, describe, it } from "@effect/vitest"
import { Batch, InMemoryRatings, Journal } from "@unrate/core"
import { Deferred, Effect, Fiber, Stream, TestClock } from "effect"

const songs = (ids: ReadonlyArray<string>, value?: 1 | -1) =>
  Stream.fromIterable(ids).pipe(
    Stream.map((id): Batch.Target => ({ kind: "library-songs", id, ...(value === undefined ? {} : { value }) }))
  )

const ids = (n: number, prefix = "i.song") => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

const rated = (list: ReadonlyArray<string>, value: 1 | -1 = -1) =>
  list.map((id) => ["library-songs", id, value] as const)

const at = "2026-11-27T10:00:00.000Z"

const line = (outcome: Journal.EntryOutcome, id: string, value?: 1 | -1): Journal.Entry => ({
  outcome,
  kind: "library-songs",
  id,
  ...(value === undefined ? {} : { value }),
  at
})

describe("Journal (write-ahead)", () => {
  it.effect("every DELETE has a durable intent with its value before it is sent; the outcome follows", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(20)))
      const journal = yield* Journal.memory()
      // The store checks, as each DELETE arrives, that the journal already holds its intent.
      const sentWithoutIntent: Array<string> = []
      yield* Batch.run(songs([...ids(20), "i.missing"]), {
        journal: {
          ...journal,
          append: (entry) => journal.append(entry)
        },
        concurrency: 4,
        onOutcome: (outcome) =>
          Effect.sync(() => {
            if (outcome._tag !== "Deleted") return
            const lines = journal.lines.filter((entry) => entry.id === outcome.target.id)
            if (lines[0]?.outcome !== "intent" || lines[0].value !== -1) sentWithoutIntent.push(outcome.target.id)
          })
      })
      assert.deepStrictEqual(sentWithoutIntent, [])
      const deletes = (yield* store.requests).filter((request) => request._tag === "DeleteRating")
      assert.strictEqual(deletes.length, 20)
      const outcomes = journal.lines.map((entry) => `${entry.id}:${entry.outcome}`)
      for (const id of ids(20)) {
        assert.isBelow(outcomes.indexOf(`${id}:intent`), outcomes.indexOf(`${id}:deleted`), id)
      }
      // a target without a rating is absent and never sent: no intent for it
      assert.deepStrictEqual(
        journal.lines.filter((entry) => entry.id === "i.missing").map((entry) => entry.outcome),
        ["absent"]
      )
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("resume: an intent without an outcome is looked up; gone, it is deleted-unconfirmed (not sent) and restorable", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      // i.a: the DELETE was committed, its answer lost (the store no longer has it); i.b: never sent
      yield* store.seed([["library-songs", "i.b", 1], ["library-songs", "i.c", -1]])
      const journal = yield* Journal.memory([line("intent", "i.a", -1), line("intent", "i.b", 1)])
      const summary = yield* Batch.run(songs(["i.a", "i.b", "i.c"]), { journal })
      assert.deepStrictEqual([summary.deleted, summary.absent, summary.failed], [3, 0, 0])
      const a = journal.lines.filter((entry) => entry.id === "i.a" && entry.outcome === "deleted")
      assert.deepStrictEqual(a.map((entry) => [entry.value, entry.confirmed]), [[-1, false]])
      const deletes = (yield* store.requests).flatMap((request) => request._tag === "DeleteRating" ? [request.id] : [])
      assert.deepStrictEqual(deletes.sort(), ["i.b", "i.c"])
      assert.strictEqual(yield* store.count(), 0)
      const restored = yield* Batch.restore(journal)
      assert.deepStrictEqual([restored.restored, restored.failed], [3, 0])
      assert.deepStrictEqual(
        (yield* store.ratings).map((rating) => `${rating.id}:${rating.value}`).sort(),
        ["i.a:-1", "i.b:1", "i.c:-1"]
      )
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("restore puts back a rating whose intent has no outcome (killed mid-request), intent before each PUT", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      const journal = yield* Journal.memory([
        line("intent", "i.a", -1),
        line("intent", "i.b", 1),
        line("deleted", "i.b", 1)
      ])
      const restored = yield* Batch.restore(journal)
      assert.strictEqual(restored.restored, 2)
      assert.deepStrictEqual((yield* store.ratings).map((rating) => `${rating.id}:${rating.value}`).sort(), [
        "i.a:-1",
        "i.b:1"
      ])
      const tail = journal.lines.slice(3).map((entry) => `${entry.id}:${entry.outcome}`)
      for (const id of ["i.a", "i.b"]) {
        assert.isBelow(tail.indexOf(`${id}:restore-intent`), tail.indexOf(`${id}:restored`), id)
        assert.isAtLeast(tail.indexOf(`${id}:restore-intent`), 0, id)
      }
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("a version-1 journal (outcome lines only) still resumes and restores", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(["i.c", "i.d"]))
      const journal = yield* Journal.memory([
        line("deleted", "i.a", -1),
        line("absent", "i.x"),
        line("deleted", "i.b", 1)
      ])
      const summary = yield* Batch.run(songs(["i.a", "i.x", "i.b", "i.c", "i.d"]), { journal })
      assert.deepStrictEqual([summary.skipped, summary.deleted], [3, 2])
      assert.strictEqual(
        (yield* store.requests).filter((request) => request._tag === "DeleteRating").length,
        2
      )
      const restored = yield* Batch.restore(journal)
      assert.strictEqual(restored.restored, 4)
      assert.deepStrictEqual(
        (yield* store.ratings).map((rating) => `${rating.id}:${rating.value}`).sort(),
        ["i.a:-1", "i.b:1", "i.c:-1", "i.d:-1"]
      )
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("a stop ends the wait on the limiter at once (rate 0.001, no clock adjusted); no intent for unsent DELETEs", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(10)))
      const journal = yield* Journal.memory()
      const stop = yield* Deferred.make<void>()
      const summary = yield* Batch.run(songs(ids(10), -1), {
        rate: 0.001,
        concurrency: 4,
        journal,
        stop: Deferred.await(stop),
        onOutcome: (outcome) => outcome._tag === "Deleted" ? Deferred.succeed(stop, undefined) : Effect.void
      })
      assert.deepStrictEqual([summary.stoppedBy, summary.deleted, summary.requests], ["Interrupted", 1, 1])
      assert.strictEqual(yield* store.count(), 9)
      assert.deepStrictEqual(journal.lines.map((entry) => entry.outcome), ["intent", "deleted"])
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("a stop ends a lookup waiting on the limiter at once", () =>
    Effect.gen(function*() {
      const journal = yield* Journal.memory()
      const stop = yield* Deferred.make<void>()
      // 100 targets without a rating: the first lookup (the first request) settles them absent; the
      // second lookup then waits on the limiter for 1,000 seconds.
      const fiber = yield* Effect.fork(Batch.run(songs(ids(150, "i.none")), {
        rate: 0.001,
        concurrency: 2,
        journal,
        stop: Deferred.await(stop)
      }))
      yield* TestClock.adjust("1 second")
      assert.strictEqual(journal.lines.length, 100)
      yield* Deferred.succeed(stop, undefined)
      const summary = yield* Fiber.join(fiber)
      assert.deepStrictEqual([summary.stoppedBy, summary.absent, summary.requests], ["Interrupted", 100, 1])
    }).pipe(Effect.provide(InMemoryRatings.layer())))
})

describe("Journal.appendAll", () => {
  it.effect("a journal with appendAll takes each outcome with the next intent: one write a request, intent first", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(["i.a", "i.b", "i.c"]))
      const lines: Array<Journal.Entry> = []
      const writes: Array<ReadonlyArray<string>> = []
      const written = (entries: ReadonlyArray<Journal.Entry>) =>
        Effect.sync(() => {
          writes.push(entries.map((entry) => `${entry.outcome} ${entry.id}`))
          lines.push(...entries)
        })
      const journal: Journal.Journal = {
        location: "counted",
        entries: Stream.suspend(() => Stream.fromIterable([...lines])),
        append: (entry) => written([entry]),
        appendAll: written
      }
      const summary = yield* Batch.run(songs(["i.a", "i.b", "i.c"], -1), { journal, concurrency: 1 })
      assert.strictEqual(summary.deleted, 3)
      assert.deepStrictEqual(writes, [
        ["intent i.a"],
        ["deleted i.a", "intent i.b"],
        ["deleted i.b", "intent i.c"],
        ["deleted i.c"]
      ])
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("an outcome no intent follows is written within 100 ms, and the last ones when the batch is interrupted", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed(rated(ids(3)))
      const journal = yield* Journal.memory()
      const written = () => journal.lines.map((entry) => `${entry.outcome} ${entry.id}`)
      // One request every 10 seconds: after the first DELETE, no intent comes for 10 seconds.
      const fiber = yield* Effect.fork(
        Batch.run(songs(ids(3), -1), { rate: 0.1, fixedRate: true, concurrency: 1, journal })
      )
      yield* TestClock.adjust("50 millis")
      assert.deepStrictEqual(written(), ["intent i.song0"])
      yield* TestClock.adjust("50 millis")
      assert.deepStrictEqual(written(), ["intent i.song0", "deleted i.song0"])
      yield* TestClock.adjust("9900 millis")
      assert.deepStrictEqual(written(), ["intent i.song0", "deleted i.song0", "intent i.song1"])
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(written(), ["intent i.song0", "deleted i.song0", "intent i.song1", "deleted i.song1"])
      assert.strictEqual(yield* store.count(), 1)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("at most 256 outcomes wait for an intent: a dry run of 1,000 writes them 256 at a time, not all at the end", () =>
    Effect.gen(function*() {
      const journal = yield* Journal.memory()
      const sizes: Array<number> = []
      const summary = yield* Batch.run(songs(ids(1000), -1), {
        dryRun: true,
        concurrency: 1,
        journal: Object.assign({}, journal, {
          appendAll: (entries: ReadonlyArray<Journal.Entry>) =>
            Effect.zipRight(Effect.sync(() => void sizes.push(entries.length)), journal.appendAll!(entries))
        })
      })
      assert.strictEqual(summary.planned, 1000)
      assert.deepStrictEqual(sizes, [256, 256, 256, 232])
      assert.strictEqual(journal.lines.filter((entry) => entry.outcome === "planned").length, 1000)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("a journal spread from a built one has no appendAll: its own append sees every entry", () =>
    Effect.gen(function*() {
      const memory = yield* Journal.memory()
      assert.isFunction(memory.appendAll)
      const spread: Journal.Journal = { ...memory, append: memory.append }
      assert.isUndefined(spread.appendAll)
    }))
})

describe("Journal.makeTargetSet", () => {
  it("answers like a Set of the same keys while it grows past 100,000 keys, with deletes and re-adds", () => {
    const set = Journal.makeTargetSet()
    const reference = new Set<string>()
    const keys = Array.from({ length: 120_000 }, (_, i) => Journal.key("library-songs", `i.${i.toString(36)}`))
    keys.forEach((k, i) => {
      set.add(k)
      reference.add(k)
      if (i % 3 === 0) set.add(k)
      if (i % 7 === 0) {
        set.delete(k)
        reference.delete(k)
      }
      if (i % 14 === 0) {
        set.add(k)
        reference.add(k)
      }
    })
    assert.strictEqual(set.size, reference.size)
    const wrong = keys.filter((k) => set.has(k) !== reference.has(k))
    assert.deepStrictEqual(wrong, [])
    const never = Array.from({ length: 10_000 }, (_, i) => Journal.key("library-songs", `i.never${i}`))
    assert.deepStrictEqual(never.filter((k) => set.has(k)), [])
    set.delete(never[0]!)
    assert.strictEqual(set.size, reference.size)
  })
})
