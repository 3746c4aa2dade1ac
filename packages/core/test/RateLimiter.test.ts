import { assert, describe, it } from "@effect/vitest"
import { AppleMusicRatings, RateLimiter } from "@unrate/core"
import { Clock, Duration, Effect, Fiber, FiberRef, Option, TestClock } from "effect"
import { globalValue } from "effect/GlobalValue"

/**
 * Sends at the limiter's rate, 100 ms at a time, to a server that answers
 * `limit` requests a second and 429s the rest; answers the rate after each second.
 */
const drive = (limiter: RateLimiter.RateLimiter, seconds: number, limit: (second: number) => number) =>
  Effect.gen(function*() {
    const rates: Array<number> = []
    let carry = 0
    for (let tick = 0; tick < seconds * 10; tick++) {
      carry += (yield* limiter.currentRate) / 10
      const sent = Math.floor(carry)
      carry -= sent
      const accepted = Math.min(sent, Math.round(limit(Math.floor(tick / 10)) / 10))
      for (let i = 0; i < sent; i++) {
        yield* i < accepted ? limiter.succeeded : limiter.rateLimited(Option.none())
      }
      yield* TestClock.adjust("100 millis")
      if (tick % 10 === 9) rates.push(yield* limiter.currentRate)
    }
    return rates
  })

/**
 * 32 fibers that each take a slot with `reserve`, wait for it themselves and
 * send, as the batch engine does: up to 32 slots are handed out ahead. The
 * server answers `limit` requests per 1-second window (opened by the first
 * request after the last one closed) and 429s the rest. Answers the requests
 * sent, refused, and answered after `from` ms.
 */
const reservingRun = (limiter: RateLimiter.RateLimiter, limit: number, millis: number, from: number) =>
  Effect.gen(function*() {
    let windowStart = -Infinity
    let inWindow = 0
    const counts = { sent: 0, refused: 0, lateAnswered: 0 }
    const fiber = Effect.gen(function*() {
      while (true) {
        const wait = yield* limiter.reserve!
        if (wait > 0) yield* Effect.sleep(wait)
        const now = yield* Clock.currentTimeMillis
        if (now >= millis) return
        if (now - windowStart >= 1000) {
          windowStart = now
          inWindow = 0
        }
        counts.sent++
        yield* Effect.sleep(2)
        if (++inWindow > limit) {
          counts.refused++
          yield* limiter.rateLimited(Option.none())
        } else {
          if (now >= from) counts.lateAnswered++
          yield* limiter.succeeded
        }
      }
    })
    const fibers = yield* Effect.forEach(Array.from({ length: 32 }), () => Effect.fork(fiber))
    for (let at = 0; at <= millis; at += 100) yield* TestClock.adjust("100 millis")
    yield* Effect.forEach(fibers, Fiber.interrupt)
    return counts
  })

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

  it.effect("a slot less than a millisecond ahead is free now; past that, the rate still holds", () =>
    Effect.gen(function*() {
      // 2,000 a second: a slot every half millisecond, on a clock that counts whole ones.
      const limiter = yield* RateLimiter.make({ rate: 2000 })
      const waits: Array<number> = []
      for (let i = 0; i < 200; i++) waits.push(yield* limiter.reserve!)
      assert.deepStrictEqual(waits.slice(0, 4), [0, 0, 1, 1.5])
      assert.strictEqual(waits[199], 99.5)
    }))

  it.effect("a 429 seen by one fiber slows every fiber, then the rate recovers", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: 100, increase: 0.01 })
      for (let i = 0; i < 80; i++) yield* limiter.succeeded
      yield* TestClock.adjust("1 second")
      // the first 429 of 81 answers in the last second looks stray: it takes off its share
      yield* limiter.rateLimited(Option.none())
      assert.closeTo(yield* limiter.currentRate, 100 * 80 / 81, 1e-9)
      // at the fifth (5 of 85 answers: enough of them, over 5%) a limit was hit: to 90% of what the server answered
      for (let i = 0; i < 3; i++) yield* limiter.rateLimited(Option.none())
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

  it.effect("a 429 before any other answer halves the rate, no more: one answer is no share to go by", () =>
    Effect.gen(function*() {
      const fixed = yield* RateLimiter.make({ rate: 120 })
      yield* fixed.rateLimited(Option.none())
      assert.strictEqual(yield* fixed.currentRate, 60)
      const probing = yield* RateLimiter.make({ rate: Infinity, initial: 20 })
      yield* probing.rateLimited(Option.none())
      assert.strictEqual(yield* probing.currentRate, 10)
    }))

  it.effect("a cut reaches fibers already waiting: within a quarter second, no slot goes at the old rate", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: 20 })
      const sentAt: Array<number> = []
      const sender = Effect.forever(
        Effect.zipRight(
          limiter.take,
          Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => void sentAt.push(now)))
        )
      )
      const fibers = yield* Effect.forEach(Array.from({ length: 32 }), () => Effect.fork(sender))
      for (let i = 0; i < 5; i++) yield* TestClock.adjust("100 millis")
      yield* limiter.succeeded
      yield* limiter.rateLimited(Option.none())
      const cut = yield* limiter.currentRate
      assert.isAtMost(cut, 10)
      for (let i = 0; i < 20; i++) yield* TestClock.adjust("100 millis")
      yield* Fiber.interruptAll(fibers)
      // 32 fibers waiting at 20 a second would hold 1.6 s of slots at the old rate
      const inTheSecondAfter = sentAt.filter((t) => t >= 750 && t < 1750).length
      assert.isAtMost(inTheSecondAfter, cut + 1, `${inTheSecondAfter} sent in the second after the cut`)
    }))

  it.effect("currentOverride is one global FiberRef: a second copy of the module would share it", () =>
    Effect.gen(function*() {
      const registered = globalValue(Symbol.for("@unrate/core/RateLimiter/currentOverride"), () => undefined)
      assert.strictEqual(registered, RateLimiter.currentOverride)
      const slow = yield* RateLimiter.make({ rate: 1 })
      const seen = yield* FiberRef.get(registered!).pipe(RateLimiter.withLimiter(slow))
      assert.deepStrictEqual(seen, Option.some(slow))
    }))

  it.effect("a probing limiter rises from its initial rate while no 429 comes, and stops at the ceiling", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: 1000, initial: 20 })
      assert.strictEqual(yield* limiter.currentRate, 20)
      const rates = yield* drive(limiter, 12, () => Infinity)
      // every second without a 429 raises it; from 20 it passes 900 within 10 seconds
      for (let i = 1; i < rates.length && rates[i - 1]! < 1000; i++) assert.isAbove(rates[i]!, rates[i - 1]!)
      assert.isAbove(rates[0]!, 20)
      assert.isAtLeast(rates[9]!, 900)
      assert.strictEqual(rates[11], 1000, "never past the ceiling")
      assert.strictEqual(yield* limiter.peakRate!, 1000)
    }))

  it.effect("a probing limiter does not rise past twice what is answered: an unused rate proves nothing", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: Infinity, initial: 20 })
      for (let second = 0; second < 10; second++) {
        for (let i = 0; i < 10; i++) yield* limiter.succeeded
        yield* TestClock.adjust("1 second")
      }
      // 10 answers a second: 10 seconds of probing would reach 70, but the rate stays within twice the last second's
      assert.isAtMost(yield* limiter.currentRate, 40)
    }))

  it.effect("a probing limiter cuts on a hit limit, then comes back to it and probes past it", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: Infinity, initial: 20 })
      // the server takes 200 a second: the rate climbs to it, overshoots a little, and is cut below 200
      const rates = yield* drive(limiter, 30, (second) => second < 20 ? 200 : 400)
      const cutAt = rates.findIndex((rate, i) => i > 0 && rate < rates[i - 1]!)
      assert.isAbove(cutAt, 0, "a cut")
      assert.isBelow(rates[cutAt]!, 200)
      assert.isAtLeast(rates[cutAt]!, 100, "never below half in one go")
      // while the limit stays, the rate stays near it: between 80% and 125% of 200 from 10 s on
      for (const rate of rates.slice(10, 20)) {
        assert.isAtLeast(rate, 160)
        assert.isAtMost(rate, 250)
      }
      // the limit doubles at 20 s: within 8 s the rate passes 300
      assert.isAbove(Math.max(...rates.slice(20, 28)), 300)
    }))

  it.effect("at a low limit a hit is seen from a few 429s: the rate settles near 20 and few requests are refused", () =>
    Effect.gen(function*() {
      const inner = yield* RateLimiter.make({ rate: Infinity, initial: 20 })
      let sent = 0
      let refused = 0
      const counting: RateLimiter.RateLimiter = {
        ...inner,
        succeeded: Effect.zipRight(Effect.sync(() => void sent++), inner.succeeded),
        rateLimited: (retryAfter) =>
          Effect.zipRight(Effect.sync(() => void (sent++, refused++)), inner.rateLimited(retryAfter))
      }
      const rates = yield* drive(counting, 30, () => 20)
      for (const rate of rates.slice(5)) {
        assert.isAtLeast(rate, 15)
        assert.isAtMost(rate, 30)
      }
      assert.isBelow(refused / sent, 0.08, `${refused} of ${sent} refused`)
    }))

  it.effect("a stray 429 only trims a probing limiter, which then keeps probing", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: Infinity, initial: 20 })
      yield* drive(limiter, 4, () => Infinity)
      const before = yield* limiter.currentRate
      yield* limiter.rateLimited(Option.none())
      const trimmed = yield* limiter.currentRate
      assert.isBelow(trimmed, before)
      assert.isAbove(trimmed, before * 0.95, "one 429 among many answers takes off its share only")
      yield* drive(limiter, 2, () => Infinity)
      assert.isAbove(yield* limiter.currentRate, before)
    }))

  it.effect("a probing limiter holds every request back until Retry-After has passed", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: Infinity, initial: 20 })
      yield* limiter.rateLimited(Option.some(Duration.seconds(3)))
      const fibers = yield* Effect.forEach([1, 2], () => Effect.fork(limiter.take))
      yield* TestClock.adjust("2999 millis")
      for (const fiber of fibers) assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 millis")
      assert.isTrue(Option.isSome(yield* Fiber.poll(fibers[0])))
      // the 429 also halved the rate (to 10 a second), so the second goes a tenth of a second later
      yield* TestClock.adjust("99 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fibers[1])))
      yield* TestClock.adjust("1 millis")
      assert.isTrue(Option.isSome(yield* Fiber.poll(fibers[1])))
    }))

  it.effect("a fixed limiter never probes past its rate, and recovers from a cut only gradually", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: 50, initial: 50 })
      const free = yield* drive(limiter, 5, () => Infinity)
      assert.deepStrictEqual(free, [50, 50, 50, 50, 50])
      const limited = yield* drive(limiter, 10, () => 40)
      assert.isBelow(limited[0]!, 45, "cut")
      // after the cut, answers raise it by under 1 request per second each second (probing adds half of it)
      assert.isBelow(limited[5]! - limited[1]!, 4)
      assert.isAtMost(Math.max(...limited), 45)
      assert.strictEqual(yield* limiter.peakRate!, 50)
    }))

  it.effect("32 fibers reserving ahead at a limit of 20 a second: under 5% 429s, 0.9 of the limit once found", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: Infinity, initial: 20 })
      const run = yield* reservingRun(limiter, 20, 40_000, 20_000)
      assert.isBelow(run.refused / run.sent, 0.05, `${run.refused} of ${run.sent} refused`)
      assert.isAtLeast(run.lateAnswered / 20, 0.9 * 20, `${run.lateAnswered} answered in the last 20 s`)
    }))

  it.effect("at the limit it hit, a probing limiter takes a 429 as that limit again: under it, and stays there", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: Infinity, initial: 20 })
      // the server takes 200 a second: after 12 s the limit has been hit and the rate is back near it
      yield* drive(limiter, 12, () => 200)
      for (let i = 0; i < 200; i++) yield* limiter.succeeded
      yield* TestClock.adjust("1 second")
      yield* limiter.rateLimited(Option.none())
      const after = yield* limiter.currentRate
      assert.isBelow(after, 200, "one 429 at the limit: under it")
      // a second of answers does not bring it back past the limit, as it would after a stray 429 (recovering 0.2% each)
      const rates = yield* drive(limiter, 1, () => 200)
      assert.isBelow(rates[0]!, 200)
    }))

  it.effect("a client without a rate probes from 20 a second; with a rate it stays at it", () =>
    Effect.gen(function*() {
      const answered = { probing: 0, fixed: 0 }
      const backend = (key: keyof typeof answered) => ({
        deleteRating: () => Effect.sync(() => void answered[key]++),
        getRating: () => Effect.die("unused"),
        getRatings: () => Effect.die("unused"),
        setRating: () => Effect.die("unused"),
        listLibraryPage: () => Effect.die("unused")
      })
      const probing = yield* AppleMusicRatings.make(backend("probing"))
      const fixed = yield* AppleMusicRatings.make(backend("fixed"), { rate: 20 })
      const deleteMany = (service: AppleMusicRatings.Service) =>
        Effect.fork(Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => `i.${i}`),
          (id) => service.deleteRating("library-songs", id),
          { concurrency: 32, discard: true }
        ))
      const fibers = [yield* deleteMany(probing), yield* deleteMany(fixed)]
      for (let i = 0; i < 100; i++) yield* TestClock.adjust("100 millis")
      // ten seconds at 20 a second is 200 deletes; probing without 429s goes far past that
      assert.isAtLeast(answered.probing, 600, `${answered.probing} deleted`)
      assert.isAtMost(answered.fixed, 201, `${answered.fixed} deleted`)
      yield* Effect.forEach(fibers, Fiber.interrupt)
    }))
})
