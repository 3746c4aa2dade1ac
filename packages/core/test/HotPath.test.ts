import { assert, describe, it } from "@effect/vitest"
import { AppleMusicRatings, Batch, RatingsError } from "@unrate/core"
import type { RateLimiter, RatingRequest } from "@unrate/core"
import { Context, DefaultServices, Effect, Option, Schedule, Stream, Tracer } from "effect"

/** A backend whose deletes answer from a script of failures, then succeed, noting the span each attempt runs in. */
const scripted = (failures: ReadonlyArray<number>) => {
  const spans: Array<string | undefined> = []
  let attempt = 0
  const backend: RatingRequest.RatingsBackend = {
    deleteRating: (request) =>
      Effect.flatMap(Effect.option(Effect.currentSpan), (span) => {
        spans.push(Option.getOrUndefined(Option.map(span, (s) => s.name)))
        const status = failures[attempt++]
        return status === undefined
          ? Effect.void
          : Effect.fail(
            new RatingsError.ServerError({
              operation: "delete",
              kind: request.kind,
              id: request.id,
              status,
              errors: []
            })
          )
      }),
    getRating: () => Effect.die("unused"),
    getRatings: () => Effect.die("unused"),
    setRating: () => Effect.die("unused"),
    listLibraryPage: () => Effect.die("unused")
  }
  return { backend, spans }
}

const builtIn = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** A tracer that exports: it keeps the names of the spans it ends. */
const recordingTracer = (ended: Array<string>) =>
  Tracer.make({
    span: (...args) => {
      const span = builtIn.span(...args)
      const end = span.end.bind(span)
      span.end = (...endArgs) => {
        ended.push(args[0])
        end(...endArgs)
      }
      return span
    },
    context: (f) => f()
  })

describe("the per-call hot path", () => {
  it.effect("makes no span under Effect's built-in tracer, and a complete one under a tracer that exports", () =>
    Effect.gen(function*() {
      const quiet = scripted([])
      const service = yield* AppleMusicRatings.make(quiet.backend, { rate: Infinity })
      yield* service.deleteRating("library-songs", "i.quiet")
      assert.deepStrictEqual(quiet.spans, [undefined])

      const loud = scripted([503])
      const ended: Array<string> = []
      const traced = yield* AppleMusicRatings.make(loud.backend, {
        rate: Infinity,
        retry: Schedule.recurs(1)
      })
      yield* traced.deleteRating("library-songs", "i.loud").pipe(Effect.withTracer(recordingTracer(ended)))
      assert.deepStrictEqual(loud.spans, ["unrate.deleteRating", "unrate.deleteRating"])
      assert.deepStrictEqual(ended, ["unrate.deleteRating"])
    }))

  it.effect("the retry schedule sees every failure, the first attempt's first, in order", () =>
    Effect.gen(function*() {
      const { backend } = scripted([503, 502, 500])
      const seen: Array<number> = []
      const service = yield* AppleMusicRatings.make(backend, {
        rate: Infinity,
        retry: Schedule.recurs(5).pipe(
          Schedule.tapInput((error: RatingsError.RatingsError) =>
            Effect.sync(() => void seen.push("status" in error && typeof error.status === "number" ? error.status : 0))
          )
        )
      })
      yield* service.deleteRating("library-songs", "i.retried")
      assert.deepStrictEqual(seen, [503, 502, 500])
    }))

  it.effect("a batch pays one limiter slot per target and one per retry, whatever the concurrency", () =>
    Effect.gen(function*() {
      const { backend } = scripted([503])
      let slots = 0
      const counting: RateLimiter.RateLimiter = {
        take: Effect.sync(() => void slots++),
        reserve: Effect.sync(() => (slots++, 0)),
        rateLimited: () => Effect.void,
        succeeded: Effect.void,
        currentRate: Effect.succeed(Infinity)
      }
      const service = yield* AppleMusicRatings.make(backend, { rateLimiter: counting, retry: Schedule.recurs(1) })
      const ids = Array.from({ length: 10 }, (_, i) => `i.slot${i}`)
      const summary = yield* Batch.run(
        Stream.fromIterable(ids).pipe(Stream.map((id): Batch.Target => ({ kind: "library-songs", id }))),
        { concurrency: 4 }
      ).pipe(Effect.provideService(AppleMusicRatings.AppleMusicRatings, service))
      assert.strictEqual(summary.deleted, 10)
      assert.strictEqual(summary.retries, 1)
      assert.strictEqual(slots, 11)
    }))
})
