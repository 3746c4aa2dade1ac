import { assert, describe, it } from "@effect/vitest"
import { AppleMusicRatings, InMemoryRatings, RatingsMetrics } from "@unrate/core"
import { Effect, Metric } from "effect"

const operation = "unrate.deleteRating"
const requestsWith = (status: string) =>
  Metric.value(RatingsMetrics.requests.pipe(Metric.tagged("operation", operation), Metric.tagged("status", status)))
const retries = Metric.value(RatingsMetrics.retries.pipe(Metric.tagged("operation", operation)))
const durations = Metric.value(RatingsMetrics.duration.pipe(Metric.tagged("operation", operation)))

const ways = [
  ["", <A, E, R>(effect: Effect.Effect<A, E, R>) => effect],
  [", also where nothing can interrupt the call (as a batch sends)", Effect.uninterruptible]
] as const

describe("RatingsMetrics", () => {
  for (const [where, around] of ways) {
    it.effect(`counts calls by final status, retries, and durations per operation${where}`, () =>
      Effect.gen(function*() {
        const before = {
          deleted: (yield* requestsWith("204")).count,
          missing: (yield* requestsWith("404")).count,
          retries: (yield* retries).count,
          durations: (yield* durations).count
        }
        const store = yield* InMemoryRatings.InMemoryRatings
        yield* store.seed([["library-songs", "i.metrics", -1]])
        yield* store.failNext(2, 503)
        yield* around(AppleMusicRatings.deleteRating("library-songs", "i.metrics"))
        const missing = yield* Effect.flip(around(AppleMusicRatings.deleteRating("library-songs", "i.metrics")))
        assert.strictEqual(missing._tag, "NotFound")

        assert.strictEqual((yield* requestsWith("204")).count - before.deleted, 1)
        assert.strictEqual((yield* requestsWith("404")).count - before.missing, 1)
        assert.strictEqual((yield* retries).count - before.retries, 2)
        const histogram = yield* durations
        assert.strictEqual(histogram.count - before.durations, 2)
      }).pipe(Effect.provide(InMemoryRatings.layer({ retry: InMemoryRatings.immediateRetry }))))
  }
})
