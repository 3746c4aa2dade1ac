import { assert, describe, it } from "@effect/vitest"
import { AppleMusicRatings, InMemoryRatings } from "@unrate/core"
import { Effect } from "effect"

// The code under test: forget a song's rating, whether or not it had one.
const forget = (id: string) =>
  AppleMusicRatings.deleteRating("library-songs", id).pipe(Effect.catchTag("NotFound", () => Effect.void))

describe("forget", () => {
  it.effect("deletes through two 503s, and a missing rating is fine", () =>
    Effect.gen(function*() {
      const store = yield* InMemoryRatings.InMemoryRatings
      yield* store.failNext(2, 503)
      yield* forget("i.7PJNN4mfXlD68R")
      yield* forget("i.7PJNN4mfXlD68R")
      assert.isUndefined(yield* store.lookup("library-songs", "i.7PJNN4mfXlD68R"))
      assert.strictEqual((yield* store.requests).length, 4)
    }).pipe(Effect.provide(InMemoryRatings.layer({
      ratings: [["library-songs", "i.7PJNN4mfXlD68R", -1]],
      retry: InMemoryRatings.immediateRetry
    }))))
})
