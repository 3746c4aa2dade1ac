import { assert, describe, it } from "@effect/vitest"
import { AppleMusicRatings, Batch, InMemoryRatings, RetryPolicy } from "@unrate/core"
import { Effect, Fiber, Stream, TestClock } from "effect"

// The code under test: clear a few dislikes at a polite pace.
const clear = (ids: ReadonlyArray<string>) =>
  Batch.run(Stream.fromIterable(ids.map((id): Batch.Target => ({ kind: "library-songs", id }))), { rate: 10 })

describe("code that waits on the Clock", () => {
  it.effect("a rate: fork, adjust the TestClock, join", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      const ids = Array.from({ length: 30 }, (_, i) => `i.song${i}`)
      yield* store.seed(ids.map((id) => ["library-songs", id, -1] as const))
      const fiber = yield* Effect.fork(clear(ids))
      yield* TestClock.adjust("3 seconds") // 30 requests, 100 ms apart
      const summary = yield* Fiber.join(fiber)
      assert.strictEqual(summary.deleted, 30)
    }).pipe(Effect.provide(InMemoryRatings.layer())))

  it.effect("the default retry policy's backoff: the same", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.failNext(2, 503)
      const fiber = yield* Effect.fork(AppleMusicRatings.deleteRating("library-songs", "i.7PJNN4mfXlD68R"))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      assert.strictEqual((yield* store.requests).length, 3)
    }).pipe(Effect.provide(InMemoryRatings.layer({
      ratings: [["library-songs", "i.7PJNN4mfXlD68R", -1]],
      retry: RetryPolicy.defaultPolicy
    }))))
})
