/**
 * The nine kinds of personal rating Apple Music knows, spelled exactly as the
 * path segment of `/v1/me/ratings/{kind}`.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Spelling from "./Spelling.js"

/**
 * Ratings of items in the user's library.
 *
 * @since 0.1.0
 * @category constants
 */
export const libraryKinds = ["library-songs", "library-albums", "library-music-videos", "library-playlists"] as const

/**
 * Ratings of catalog items.
 *
 * @since 0.1.0
 * @category constants
 */
export const catalogKinds = ["songs", "albums", "music-videos", "playlists", "stations"] as const

/**
 * Every rating kind, library kinds first.
 *
 * @since 0.1.0
 * @category constants
 */
export const all = [...libraryKinds, ...catalogKinds] as const

/**
 * @since 0.1.0
 * @category schemas
 */
export const LibraryRatingKind = Schema.Literal(...libraryKinds)

/**
 * A rating kind of the user's library (`library-songs`, …).
 *
 * @since 0.1.0
 * @category models
 */
export type LibraryRatingKind = typeof LibraryRatingKind.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const CatalogRatingKind = Schema.Literal(...catalogKinds)

/**
 * A rating kind of the catalog (`songs`, …).
 *
 * @since 0.1.0
 * @category models
 */
export type CatalogRatingKind = typeof CatalogRatingKind.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const RatingKind = Schema.Literal(...all)

/**
 * Any of the nine rating kinds.
 *
 * @since 0.1.0
 * @category models
 */
export type RatingKind = typeof RatingKind.Type

/**
 * @since 0.1.0
 * @category guards
 */
export const isRatingKind: (u: unknown) => u is RatingKind = Schema.is(RatingKind)

/**
 * @since 0.1.0
 * @category guards
 */
export const isLibraryKind: (u: unknown) => u is LibraryRatingKind = Schema.is(LibraryRatingKind)

/**
 * The library listing segment of a library kind: `library-songs` pages
 * `/v1/me/library/songs`.
 *
 * @since 0.1.0
 * @category conversions
 */
export const librarySegment = (kind: LibraryRatingKind): "songs" | "albums" | "music-videos" | "playlists" =>
  kind.slice("library-".length) as "songs" | "albums" | "music-videos" | "playlists"

/**
 * The library kind whose listing segment this is (`songs` → `library-songs`),
 * the inverse of {@link librarySegment}.
 *
 * @since 0.2.0
 * @category conversions
 */
export const fromLibrarySegment = (segment: string): LibraryRatingKind | undefined => {
  const kind = `library-${segment}`
  return isLibraryKind(kind) ? kind : undefined
}

/**
 * The kinds closest to a misspelled one, best first (at most two).
 *
 * @since 0.1.0
 * @category conversions
 */
export const suggest = (input: string): ReadonlyArray<RatingKind> => {
  const normalized = input.trim().toLowerCase().replace(/[\s_]+/g, "-")
  return all
    .map((kind) => ({
      kind,
      score: Math.min(
        Spelling.distance(normalized, kind),
        Spelling.distance(normalized, kind.replace(/^library-/, "")) + (kind.startsWith("library-") ? 1 : 0)
      )
    }))
    .filter(({ score }) => score <= 3)
    .sort((a, b) => a.score - b.score)
    .slice(0, 2)
    .map(({ kind }) => kind)
}

/**
 * Reads a rating kind from user input, or explains what is wrong with it:
 * `unknown kind 'song'; did you mean 'songs' or 'library-songs'?`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (input: string): Either.Either<RatingKind, string> => {
  if (isRatingKind(input)) return Either.right(input)
  const suggestions = suggest(input)
  const hint = suggestions.length === 0
    ? `; expected one of ${all.join(", ")}`
    : `; did you mean ${suggestions.map((kind) => `'${kind}'`).join(" or ")}?`
  return Either.left(`unknown kind '${input}'${hint}`)
}

/**
 * Reads a library rating kind from user input, or explains what is wrong with it.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseLibrary = (input: string): Either.Either<LibraryRatingKind, string> =>
  Either.flatMap(parse(input), (kind) =>
    isLibraryKind(kind)
      ? Either.right(kind)
      : Either.left(`'${kind}' is a catalog kind; this needs a library kind: ${libraryKinds.join(", ")}`))
