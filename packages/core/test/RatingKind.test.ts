import { assert, describe, it } from "@effect/vitest"
import { RatingKind } from "@unrate/core"
import { Either } from "effect"

describe("RatingKind", () => {
  it("knows exactly Apple's nine kinds", () => {
    assert.deepStrictEqual([...RatingKind.all].sort(), [
      "albums",
      "library-albums",
      "library-music-videos",
      "library-playlists",
      "library-songs",
      "music-videos",
      "playlists",
      "songs",
      "stations"
    ])
  })

  it("parses every kind and refuses others with a suggestion", () => {
    for (const kind of RatingKind.all) assert.deepStrictEqual(RatingKind.parse(kind), Either.right(kind))
    assert.deepStrictEqual(
      RatingKind.parse("song"),
      Either.left("unknown kind 'song'; did you mean 'songs' or 'library-songs'?")
    )
    assert.deepStrictEqual(
      RatingKind.parse("artists"),
      Either.left(`unknown kind 'artists'; expected one of ${RatingKind.all.join(", ")}`)
    )
  })

  it("parses library kinds only where a library kind is needed", () => {
    assert.deepStrictEqual(RatingKind.parseLibrary("library-songs"), Either.right("library-songs"))
    assert.isTrue(Either.isLeft(RatingKind.parseLibrary("songs")))
    assert.strictEqual(RatingKind.librarySegment("library-music-videos"), "music-videos")
  })

  it("maps a library listing segment back to its kind, and nothing else", () => {
    for (const kind of RatingKind.libraryKinds) {
      assert.strictEqual(RatingKind.fromLibrarySegment(RatingKind.librarySegment(kind)), kind)
    }
    for (const segment of ["song", "library-songs", "stations", "", "songs/", "Songs"]) {
      assert.isUndefined(RatingKind.fromLibrarySegment(segment))
    }
  })
})
