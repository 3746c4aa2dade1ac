import { assert, describe, it } from "@effect/vitest"
import { RatingId } from "@unrate/core"
import { Either } from "effect"

describe("RatingId", () => {
  it("accepts every documented id form", () => {
    const cases = [
      ["library-songs", "i.7PJNN4mfXlD68R"],
      ["library-albums", "l.cgdliw7"],
      ["library-playlists", "p.MoGJYM3CYXW09B"],
      ["playlists", "pl.u-8aAVZAXCoxRxJj"],
      ["stations", "ra.840950253"],
      ["songs", "907242702"],
      ["albums", "1440857781"],
      ["music-videos", "1445715227"]
    ] as const
    for (const [kind, id] of cases) assert.deepStrictEqual(RatingId.validate(kind, id), Either.right(id))
    assert.isTrue(Either.isRight(RatingId.validate("songs", "a".repeat(128))))
  })

  it("refuses hostile ids with a reason", () => {
    const hostile = [
      "../library/songs",
      "a/b",
      "%2e%2e",
      "..",
      ".",
      "",
      "a".repeat(10_000),
      "a\nb",
      "a b",
      "ßong",
      "i.x?y"
    ]
    for (const id of hostile) {
      const result = RatingId.validate("library-songs", id)
      assert.isTrue(Either.isLeft(result), `accepted ${JSON.stringify(id)}`)
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left._tag, "InvalidId")
        assert.isAtMost(result.left.message.length, 300)
      }
    }
    const newline = RatingId.validate("library-songs", "a\nb")
    assert.include(Either.isLeft(newline) ? newline.left.message : "", "whitespace (U+000A)")
  })

  it("explains a prefix that contradicts the kind", () => {
    const numeric = RatingId.validate("library-songs", "907242702")
    assert.include(Either.isLeft(numeric) ? numeric.left.message : "", "did you mean kind 'songs'?")
    const library = RatingId.validate("songs", "i.7PJNN4mfXlD68R")
    assert.include(Either.isLeft(library) ? library.left.message : "", "did you mean kind 'library-songs'?")
    const station = RatingId.validate("library-playlists", "ra.840950253")
    assert.include(Either.isLeft(station) ? station.left.message : "", "'stations'")
  })

  it("suggests the library kind of each library prefix for a catalog kind", () => {
    const expected = { "i.": "library-songs", "l.": "library-albums", "p.": "library-playlists" } as const
    for (const [prefix, kind] of Object.entries(expected)) {
      const refused = RatingId.validate("albums", `${prefix}abc123`)
      assert.include(Either.isLeft(refused) ? refused.left.message : "", `did you mean kind '${kind}'?`)
    }
    assert.deepStrictEqual(RatingId.libraryPrefix, {
      "library-songs": "i.",
      "library-albums": "l.",
      "library-music-videos": "i.",
      "library-playlists": "p."
    })
  })
})
