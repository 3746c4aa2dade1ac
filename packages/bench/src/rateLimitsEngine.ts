/**
 * The whole batch engine on a simulated clock: `Batch.run` at concurrency 32
 * over `AppleMusicRatings.make`, against a backend that throttles as the
 * emulator does (R requests per team per 1-second window, the window opening
 * at the first request after the last one closed, 429 without Retry-After
 * beyond R), each request answered after a fixed latency. What the limiter
 * finds once 32 fibers wait on it and retries queue behind them, apart from
 * the machine's load. Deterministic but for the retry policy's jitter.
 *
 * @since 0.3.0
 */
import { AppleMusicRatings, Batch, RatingsError } from "@unrate/core"
import type { RatingRequest } from "@unrate/core"
import { Clock, Effect, Fiber, Option, Stream, TestClock, TestContext } from "effect"

/** One simulated run. */
export interface EngineRun {
  /** The limit at a time (ms from the start). */
  readonly limit: (millis: number) => number
  readonly deletes: number
  readonly maxMillis: number
  /** From sending to the answer; the server counts the request halfway. Default 4 ms. */
  readonly latencyMillis?: number
  readonly concurrency?: number
  /** The batch's rate options. Default: the CLI's (`initialRate: 20`, no ceiling). */
  readonly rate?: Pick<Batch.Options, "rate" | "initialRate" | "fixedRate">
}

/** What a run gave: deletes answered per whole second, requests sent, 429s, the time taken and the limiter's rate each second. */
export interface EngineResult {
  readonly perSecond: ReadonlyArray<number>
  readonly refusedPerSecond: ReadonlyArray<number>
  readonly rates: ReadonlyArray<number>
  readonly sent: number
  readonly refused: number
  readonly done: number
  readonly seconds: number
}

const unreachable = () => Effect.die("not simulated")

/** Runs `Batch.run` over `deletes` targets against the simulated throttle, the TestClock moved 100 ms at a time. */
export const simulateEngine = (run: EngineRun): Promise<EngineResult> =>
  Effect.gen(function*() {
    const latency = run.latencyMillis ?? 4
    let windowStart = -Infinity
    let inWindow = 0
    let sent = 0
    let refused = 0
    let lastAnswer = 0
    const perSecond: Array<number> = []
    const rates: Array<number> = []
    const refusedPerSecond: Array<number> = []
    const deleteRating = (request: RatingRequest.DeleteRating) =>
      Effect.gen(function*() {
        yield* Effect.sleep(latency / 2)
        const now = yield* Clock.currentTimeMillis
        sent++
        if (now - windowStart >= 1000) {
          windowStart = now
          inWindow = 0
        }
        inWindow++
        const over = inWindow > run.limit(now)
        yield* Effect.sleep(latency / 2)
        lastAnswer = now + latency / 2
        if (over) {
          refused++
          const second = Math.floor(now / 1000)
          while (refusedPerSecond.length <= second) refusedPerSecond.push(0)
          refusedPerSecond[second]!++
          return yield* Effect.fail(
            new RatingsError.RateLimited({ status: 429, operation: "delete", kind: request.kind, id: request.id })
          )
        }
        const second = Math.floor(now / 1000)
        while (perSecond.length <= second) perSecond.push(0)
        perSecond[second]!++
      })
    const service = yield* AppleMusicRatings.make({
      deleteRating,
      getRating: unreachable,
      getRatings: unreachable,
      setRating: unreachable,
      listLibraryPage: unreachable
    }, { rate: Infinity })
    const targets = Stream.range(1, run.deletes).pipe(
      Stream.map((i) => ({ kind: "library-songs" as const, id: `i.${i}` }))
    )
    const fiber = yield* Effect.fork(
      Batch.run(targets, {
        concurrency: run.concurrency ?? 32,
        ...(run.rate ?? { initialRate: 20 }),
        onProgress: (progress) => Effect.sync(() => void rates.push(progress.rate ?? NaN)),
        progressInterval: "1 second"
      }).pipe(Effect.provideService(AppleMusicRatings.AppleMusicRatings, service))
    )
    // Every sleep still wakes at its own instant: the step only says how often the run checks it is done.
    for (let now = 0; now < run.maxMillis && Option.isNone(yield* Fiber.poll(fiber)); now += 100) {
      yield* TestClock.adjust(100)
    }
    yield* Fiber.interrupt(fiber)
    return {
      perSecond,
      refusedPerSecond,
      rates,
      sent,
      refused,
      done: perSecond.reduce((a, b) => a + b, 0),
      seconds: lastAnswer / 1000
    }
  }).pipe(Effect.provide(TestContext.TestContext), Effect.runPromise)
