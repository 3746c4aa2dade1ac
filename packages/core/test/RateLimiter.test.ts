import { assert, describe, it } from "@effect/vitest"
import { RateLimiter } from "@unrate/core"
import { Clock, Duration, Effect, Fiber, Option, TestClock } from "effect"

describe("RateLimiter", () => {
  it.effect("spaces requests at the configured rate across fibers", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: 10 })
      const times: Array<number> = []
      const fiber = yield* Effect.fork(
        Effect.forEach(
          Array.from({ length: 20 }),
          () =>
            Effect.zipRight(
              limiter.take,
              Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => times.push(now)))
            ),
          { concurrency: 4 }
        )
      )
      yield* TestClock.adjust("950 millis")
      assert.strictEqual(times.length, 10)
      assert.deepStrictEqual(times.slice(0, 3), [0, 100, 200])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(times.length, 20)
    }))

  it.effect("a 429 seen by one fiber slows every fiber, then the rate recovers", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: 100, increase: 0.01 })
      yield* limiter.rateLimited(Option.none())
      const lowered = yield* limiter.currentRate
      assert.strictEqual(lowered, 80)
      // a second 429 in the same spell does not lower it again
      yield* limiter.rateLimited(Option.none())
      assert.strictEqual(yield* limiter.currentRate, 80)
      // new requests pause for every fiber
      const fiber = yield* Effect.fork(limiter.take)
      yield* TestClock.adjust("200 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("60 millis")
      yield* Fiber.join(fiber)
      for (let i = 0; i < 50; i++) yield* limiter.succeeded
      const recovered = yield* limiter.currentRate
      assert.isAbove(recovered, 80)
      assert.isAtMost(recovered, 100)
    }))

  it.effect("an unlimited limiter learns a rate from a 429 and waits for Retry-After", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: Infinity })
      for (let i = 0; i < 50; i++) yield* limiter.take
      yield* limiter.rateLimited(Option.some(Duration.seconds(2)))
      assert.strictEqual(yield* limiter.currentRate, 40)
      const fiber = yield* Effect.fork(limiter.take)
      yield* TestClock.adjust("1999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fiber)
    }))
})
