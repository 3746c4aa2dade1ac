import { assert, describe, it } from "@effect/vitest"
import { AppleMusicRatings, Batch, InMemoryRatings } from "@unrate/core"
import { Chunk, Effect, Fiber, Option, Stream, TestClock } from "effect"

describe("InMemoryRatings", () => {
  it.effect("answers like Apple: 404 on a missing rating, only rated ids from a lookup of many", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed([["songs", "907242702", 1], ["songs", "907242703", -1]])
      const many = yield* AppleMusicRatings.getRatings("songs", ["907242702", "907242703", "1", "907242702"])
      assert.deepStrictEqual(many.map((rating) => [rating.id, rating.value]), [["907242702", 1], ["907242703", -1]])
      const missing = yield* Effect.flip(AppleMusicRatings.getRating("songs", "1"))
      assert.strictEqual(missing._tag, "NotFound")
      yield* AppleMusicRatings.deleteRating("songs", "907242702")
      const again = yield* Effect.flip(AppleMusicRatings.deleteRating("songs", "907242702"))
      assert.strictEqual(again._tag, "NotFound")
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("can answer 204 for a missing rating instead", () =>
    Effect.gen(function*() {
      yield* AppleMusicRatings.deleteRating("songs", "1")
    }).pipe(Effect.provide(InMemoryRatings.layer({ deleteMissing: 204 }))))

  it.effect("validates ids and values before the store sees them", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      const badId = yield* Effect.flip(AppleMusicRatings.deleteRating("library-songs", "../x"))
      assert.strictEqual(badId._tag, "InvalidId")
      const badValue = yield* Effect.flip(AppleMusicRatings.setRating("songs", "1", 2 as never))
      assert.strictEqual(badValue._tag, "InvalidInput")
      const badLanguage = yield* Effect.flip(
        AppleMusicRatings.deleteRating("songs", "1", { language: "en US" })
      )
      assert.strictEqual(badLanguage._tag, "InvalidInput")
      const badKind = yield* Effect.flip(AppleMusicRatings.deleteRating("artists" as never, "1"))
      assert.strictEqual(badKind._tag, "InvalidInput")
      assert.strictEqual((yield* store.requests).length, 0)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("scripts failures: the next n calls, or every call", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.seed([["library-songs", "i.a", -1]])
      yield* store.failNext(2, 503)
      yield* AppleMusicRatings.deleteRating("library-songs", "i.a")
      assert.strictEqual((yield* store.requests).length, 3)
      yield* store.failAlways(403)
      const error = yield* Effect.flip(AppleMusicRatings.getRating("library-songs", "i.a"))
      assert.strictEqual(error._tag, "Forbidden")
      assert.strictEqual((yield* store.requests).length, 4)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("seeds a library repeatably and lists it 100 at a time", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      const seeded = yield* store.seedLibrary({ kind: "library-songs", size: 250, likes: 0.1, dislikes: 0.2, seed: 7 })
      assert.strictEqual(seeded.likes.length, 25)
      assert.strictEqual(seeded.dislikes.length, 50)
      const items = Chunk.toReadonlyArray(yield* Stream.runCollect(AppleMusicRatings.listLibrary("library-songs")))
      assert.strictEqual(items.length, 250)
      assert.strictEqual(new Set(items.map((item) => item.id)).size, 250)
      const pages = (yield* store.requests).filter((request) => request._tag === "ListLibraryPage")
      assert.strictEqual(pages.length, 3)
      const again = yield* Effect.provide(
        Effect.flatMap(InMemoryRatings.InMemoryRatings, (other) =>
          other.seedLibrary({ kind: "library-songs", size: 250, likes: 0.1, dislikes: 0.2, seed: 7 })),
        InMemoryRatings.layer()
      )
      assert.deepStrictEqual(again, seeded)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("batches single lookups made together into lookups of at most 100", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      const ids = Array.from({ length: 250 }, (_, i) => `i.song${i}`)
      yield* store.seed(ids.filter((_, i) => i % 2 === 0).map((id) => ["library-songs", id, -1] as const))
      const results = yield* Effect.forEach(
        ids,
        (id) => Effect.either(AppleMusicRatings.getRating("library-songs", id)),
        { batching: true }
      )
      assert.strictEqual(results.filter((result) => result._tag === "Right").length, 125)
      const requests = yield* store.requests
      assert.strictEqual(requests.length, 3)
      assert.deepStrictEqual(requests.map((request) => request._tag === "GetRatings" && request.ids), [
        ids.slice(0, 100),
        ids.slice(100, 200),
        ids.slice(200)
      ])
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  // Nothing in the in-memory layer waits unless a test asks: retries of 503s and of 429s without Retry-After
  // happen at once, and there is no rate limit, so a batch runs under `it.effect` without touching the TestClock.
  it.effect(
    "by default, a batch through 503s and 429s completes on the TestClock without adjusting it",
    () =>
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        const ids = Array.from({ length: 40 }, (_, i) => `i.song${i}`)
        yield* store.seed(ids.map((id) => ["library-songs", id, -1] as const))
        yield* store.failNext(3, 503)
        yield* store.failNext(2, 429)
        const summary = yield* Batch.run(songs(ids), { concurrency: 4 })
        assert.deepStrictEqual([summary.deleted, summary.failed, yield* store.count()], [40, 0, 0])
        assert.strictEqual((yield* store.requests).length, 45)
      }).pipe(Effect.provide(InMemoryRatings.layer())),
    { timeout: 10_000 }
  )

  // A `rate` (here the batch's own) spaces requests on the Clock: under `it.effect` that is the TestClock, which
  // moves only when the test adjusts it. Fork the batch, adjust the clock, join.
  it.effect(
    "a batch with rate: 10 runs on the TestClock: fork it, adjust the clock, join",
    () =>
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        const ids = Array.from({ length: 30 }, (_, i) => `i.song${i}`)
        yield* store.seed(ids.map((id) => ["library-songs", id, -1] as const))
        const fiber = yield* Effect.fork(Batch.run(songs(ids), { rate: 10, concurrency: 8 }))
        yield* TestClock.adjust("1 second")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "30 requests at 10 per second take about 3 seconds")
        const early = (yield* store.requests).length
        assert.isAtLeast(early, 9)
        assert.isAtMost(early, 12)
        yield* TestClock.adjust("3 seconds")
        const summary = yield* Fiber.join(fiber)
        assert.deepStrictEqual([summary.deleted, yield* store.count()], [30, 0])
      }).pipe(Effect.provide(InMemoryRatings.layer())),
    { timeout: 10_000 }
  )
})

const songs = (ids: ReadonlyArray<string>) =>
  Stream.fromIterable(ids.map((id): Batch.Target => ({ kind: "library-songs", id })))
