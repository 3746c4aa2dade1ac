import { assert, describe, it } from "@effect/vitest"
import { RateLimiter } from "@unrate/core"
import { Clock, Duration, Effect, Fiber, FiberRef, Option, TestClock } from "effect"
import { globalValue } from "effect/GlobalValue"

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
      for (let i = 0; i < 80; i++) yield* limiter.succeeded
      yield* TestClock.adjust("1 second")
      // the first 429 of 81 answers in the last second looks stray: it takes off its share
      yield* limiter.rateLimited(Option.none())
      assert.closeTo(yield* limiter.currentRate, 100 * 80 / 81, 1e-9)
      // at the twentieth (20 of 100 answers: enough of them, over 5%) a limit was hit: to 90% of what the server answered
      for (let i = 0; i < 18; i++) yield* limiter.rateLimited(Option.none())
      assert.closeTo(yield* limiter.currentRate, 100 * 80 / 81, 1e-9)
      yield* limiter.rateLimited(Option.none())
      assert.strictEqual(yield* limiter.currentRate, 72)
      // more 429s in the same second do not lower it again
      for (let i = 0; i < 20; i++) yield* limiter.rateLimited(Option.none())
      assert.strictEqual(yield* limiter.currentRate, 72)
      // every fiber now waits 1/72 s between requests
      const times: Array<number> = []
      const fiber = yield* Effect.fork(Effect.forEach(
        Array.from({ length: 4 }),
        () =>
          Effect.zipRight(
            limiter.take,
            Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => times.push(now)))
          ),
        { concurrency: 4 }
      ))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(times.map((t) => Math.round(t - 1000)), [0, 14, 28, 42])
      for (let i = 0; i < 50; i++) yield* limiter.succeeded
      const recovered = yield* limiter.currentRate
      assert.isAbove(recovered, 72)
      assert.isAtMost(recovered, 100)
    }))

  it.effect("an unlimited limiter learns a rate from a 429 and waits for Retry-After", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: Infinity })
      yield* limiter.rateLimited(Option.none())
      assert.strictEqual(yield* limiter.currentRate, Infinity, "too little history to learn from")
      for (let i = 0; i < 50; i++) yield* limiter.succeeded
      yield* TestClock.adjust("500 millis")
      for (let i = 0; i < 5; i++) yield* limiter.rateLimited(Option.none())
      yield* limiter.rateLimited(Option.some(Duration.seconds(2)))
      // 50 answered in half a second and 3 of 53 answers were 429s: a limit, at 90% of 100 answered per second
      assert.strictEqual(yield* limiter.currentRate, 90)
      const fiber = yield* Effect.fork(limiter.take)
      yield* TestClock.adjust("1999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fiber)
    }))

  it.effect("stray 429s take off only their share, and the rate comes back quickly", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: 20 })
      for (let second = 0; second < 10; second++) {
        for (let i = 0; i < 33; i++) yield* limiter.succeeded
        yield* limiter.rateLimited(Option.none())
        yield* TestClock.adjust("1 second")
      }
      // one 429 in 34 answers every second, as under 3% random 429s: the rate stays near its ceiling
      assert.isAbove(yield* limiter.currentRate, 19)
      const low = yield* RateLimiter.make({ rate: 10 })
      yield* low.succeeded
      yield* low.rateLimited(Option.none())
      assert.strictEqual(yield* low.currentRate, 5)
      for (let i = 0; i < 100; i++) yield* low.succeeded
      const back = yield* low.currentRate
      assert.isAbove(back, 8)
      assert.isAtMost(back, 10)
    }))

  it.effect("never more than halves a configured rate in one spell", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: 100 })
      yield* limiter.succeeded
      yield* limiter.rateLimited(Option.none())
      assert.strictEqual(yield* limiter.currentRate, 50)
    }))

  it.effect("currentOverride is one global FiberRef: a second copy of the module would share it", () =>
    Effect.gen(function*() {
      const registered = globalValue(Symbol.for("@unrate/core/RateLimiter/currentOverride"), () => undefined)
      assert.strictEqual(registered, RateLimiter.currentOverride)
      const slow = yield* RateLimiter.make({ rate: 1 })
      const seen = yield* FiberRef.get(registered!).pipe(RateLimiter.withLimiter(slow))
      assert.deepStrictEqual(seen, Option.some(slow))
    }))
})
