import type { it as vitestIt } from "@effect/vitest"
import { assert, describe } from "@effect/vitest"
import { AppleMusicRatings, InMemoryRatings } from "@unrate/core"
import { Chunk, Effect, Stream } from "effect"
import type { Layer } from "effect"

/**
 * The behaviour every implementation of the service shares, whatever carries
 * the requests: the layer provides the service and the control of the store
 * behind it.
 */
export const ratingsSuite = (
  name: string,
  it: typeof vitestIt,
  makeLayer: () => Layer.Layer<AppleMusicRatings.AppleMusicRatings | InMemoryRatings.InMemoryRatings, unknown>
) =>
  describe(name, () => {
    const test = (
      title: string,
      body: Effect.Effect<void, unknown, AppleMusicRatings.AppleMusicRatings | InMemoryRatings.InMemoryRatings>
    ) => it.effect(title, () => Effect.provide(body, makeLayer()))

    test(
      "deletes a rating; deleting it again is NotFound",
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        yield* store.seed([["library-songs", "i.7PJNN4mfXlD68R", -1], ["library-songs", "i.other", 1]])
        yield* AppleMusicRatings.deleteRating("library-songs", "i.7PJNN4mfXlD68R")
        assert.isUndefined(yield* store.lookup("library-songs", "i.7PJNN4mfXlD68R"))
        assert.strictEqual(yield* store.lookup("library-songs", "i.other"), 1)
        const again = yield* Effect.flip(AppleMusicRatings.deleteRating("library-songs", "i.7PJNN4mfXlD68R"))
        assert.strictEqual(again._tag, "NotFound")
      })
    )

    test(
      "gets one rating, and only rated ids from a lookup of many",
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        const ids = Array.from({ length: 250 }, (_, i) => `${1000 + i}`)
        yield* store.seed(ids.filter((_, i) => i % 5 === 0).map((id) => ["songs", id, 1] as const))
        const one = yield* AppleMusicRatings.getRating("songs", "1000")
        assert.deepStrictEqual([one.kind, one.id, one.value], ["songs", "1000", 1])
        const missing = yield* Effect.flip(AppleMusicRatings.getRating("songs", "1001"))
        assert.strictEqual(missing._tag, "NotFound")
        const many = yield* AppleMusicRatings.getRatings("songs", ids)
        assert.deepStrictEqual(
          many.map((rating) => [rating.id, rating.value]),
          ids.filter((_, i) => i % 5 === 0).map((id) => [id, 1])
        )
      })
    )

    test(
      "sets a rating and reads it back",
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        const set = yield* AppleMusicRatings.setRating("stations", "ra.840950253", -1)
        assert.strictEqual(set.value, -1)
        assert.strictEqual(yield* store.lookup("stations", "ra.840950253"), -1)
        const got = yield* AppleMusicRatings.getRating("stations", "ra.840950253")
        assert.strictEqual(got.value, -1)
      })
    )

    test(
      "lists a library of 250 items, each once",
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        yield* store.seedLibrary({ kind: "library-albums", size: 250, likes: 0.2 })
        const items = Chunk.toReadonlyArray(yield* Stream.runCollect(AppleMusicRatings.listLibrary("library-albums")))
        assert.strictEqual(items.length, 250)
        assert.strictEqual(new Set(items.map((item) => item.id)).size, 250)
      })
    )

    test(
      "refuses an invalid id before any request",
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        const error = yield* Effect.flip(AppleMusicRatings.deleteRating("library-songs", "../../library/songs"))
        assert.strictEqual(error._tag, "InvalidId")
        assert.strictEqual((yield* store.requests).length, 0)
      })
    )

    test(
      "recovers from two 503s",
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        yield* store.seed([["library-songs", "i.a", -1]])
        yield* store.failNext(2, 503)
        yield* AppleMusicRatings.deleteRating("library-songs", "i.a")
        assert.strictEqual((yield* store.requests).length, 3)
        assert.isUndefined(yield* store.lookup("library-songs", "i.a"))
      })
    )

    test(
      "stops at the first 401 or 403",
      Effect.gen(function*() {
        const store = yield* InMemoryRatings.InMemoryRatings
        yield* store.failAlways(403)
        const forbidden = yield* Effect.flip(AppleMusicRatings.deleteRating("library-songs", "i.a"))
        assert.strictEqual(forbidden._tag, "Forbidden")
        assert.strictEqual((yield* store.requests).length, 1)
        yield* store.failAlways(401)
        const unauthorized = yield* Effect.flip(AppleMusicRatings.getRating("library-songs", "i.a"))
        assert.strictEqual(unauthorized._tag, "Unauthorized")
        assert.strictEqual((yield* store.requests).length, 2)
      })
    )
  })
