import { assert, describe, it } from "@effect/vitest"
import { AppleMusicRatings, InMemoryRatings, RetryPolicy } from "@unrate/core"
import { Effect, Exit, Fiber, Option, Schedule, TestClock } from "effect"

const song = ["library-songs", "i.7PJNN4mfXlD68R", -1] as const
const withDefaultPolicy = InMemoryRatings.layer({ ratings: [song], retry: RetryPolicy.defaultPolicy })

describe("RetryPolicy", () => {
  it.effect("a 500 then a 204 succeeds after one retry", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.failNext(1, 500)
      const fiber = yield* Effect.fork(AppleMusicRatings.deleteRating(song[0], song[1]))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual((yield* store.requests).length, 2)
      assert.isUndefined(yield* store.lookup(song[0], song[1]))
    }).pipe(Effect.provide(withDefaultPolicy)))

  it.effect("401 and 403 are never retried", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      for (const status of [401, 403, 400, 404]) {
        yield* store.clearFailures
        yield* store.failAlways(status)
        const before = (yield* store.requests).length
        const exit = yield* Effect.exit(AppleMusicRatings.deleteRating(song[0], song[1]))
        assert.isTrue(Exit.isFailure(exit))
        assert.strictEqual((yield* store.requests).length - before, 1, `status ${status} was retried`)
      }
    }).pipe(Effect.provide(withDefaultPolicy)))

  it.effect("a user schedule never retries what must not be retried: one request for 404, 401, 403, 400", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      for (const status of [404, 401, 403, 400]) {
        yield* store.clearFailures
        yield* store.failAlways(status)
        const before = (yield* store.requests).length
        const error = yield* Effect.flip(AppleMusicRatings.deleteRating(song[0], song[1]))
        assert.strictEqual(
          error._tag,
          { 404: "NotFound", 401: "Unauthorized", 403: "Forbidden", 400: "BadRequest" }[status]
        )
        assert.strictEqual((yield* store.requests).length - before, 1, `status ${status} was retried`)
      }
      yield* store.clearFailures
      yield* store.failAlways(503)
      const before = (yield* store.requests).length
      const error = yield* Effect.flip(AppleMusicRatings.deleteRating(song[0], song[1]))
      assert.strictEqual(error._tag, "ServerError")
      assert.strictEqual((yield* store.requests).length - before, 6, "a persistent 503 is tried 1 + 5 times")
    }).pipe(Effect.provide(InMemoryRatings.layer({ ratings: [song], retry: Schedule.recurs(5) }))))

  it.effect("retry with a user schedule retries only RateLimited, ServerError and Transport", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      for (const [status, expected] of [[404, 1], [403, 1], [500, 4]] as const) {
        yield* store.clearFailures
        yield* store.failAlways(status)
        const before = (yield* store.requests).length
        yield* Effect.flip(AppleMusicRatings.deleteRating(song[0], song[1]).pipe(RetryPolicy.retry(Schedule.recurs(3))))
        assert.strictEqual((yield* store.requests).length - before, expected, `status ${status}`)
      }
    }).pipe(Effect.provide(InMemoryRatings.layer({ ratings: [song], retry: RetryPolicy.never }))))

  it.effect("a 429 with Retry-After: 2 waits at least 2 s", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.failNext(1, { status: 429, retryAfterMillis: 2000 })
      const fiber = yield* Effect.fork(AppleMusicRatings.deleteRating(song[0], song[1]))
      yield* TestClock.adjust("1999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      assert.strictEqual((yield* store.requests).length, 1)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fiber)
      assert.strictEqual((yield* store.requests).length, 2)
    }).pipe(Effect.provide(withDefaultPolicy)))

  it.effect("gives up after the configured retries with the last error", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.failAlways(503)
      const fiber = yield* Effect.fork(Effect.flip(AppleMusicRatings.deleteRating(song[0], song[1])))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "ServerError")
      assert.strictEqual((yield* store.requests).length, 4)
    }).pipe(Effect.provide(InMemoryRatings.layer({ ratings: [song], retry: RetryPolicy.make({ retries: 3 }) }))))

  it.effect("does not wait for a Retry-After beyond its maximum", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.failNext(1, { status: 429, retryAfterMillis: 3_600_000 })
      const error = yield* Effect.flip(AppleMusicRatings.deleteRating(song[0], song[1]))
      assert.strictEqual(error._tag, "RateLimited")
    }).pipe(Effect.provide(withDefaultPolicy)))

  it.effect("retry applies a policy to any effect", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.failNext(2, 503)
      yield* AppleMusicRatings.deleteRating(song[0], song[1]).pipe(RetryPolicy.retry(InMemoryRatings.immediateRetry))
      assert.strictEqual((yield* store.requests).length, 3)
    }).pipe(Effect.provide(InMemoryRatings.layer({ ratings: [song], retry: RetryPolicy.never }))))
})
