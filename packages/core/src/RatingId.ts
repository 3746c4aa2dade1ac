/**
 * Rating ids: what unrate accepts before any request is built.
 *
 * Apple publishes no grammar for ids. unrate accepts 1–128 characters of
 * `[A-Za-z0-9._-]` starting with a letter or digit, which admits every
 * documented form (`i.7PJNN4mfXlD68R`, `l.cgdliw7`, `p.MoGJYM3CYXW09B`,
 * `pl.u-…`, `ra.840950253`, `907242702`), refuses `.` and `..` (and anything
 * that could be read as an option), and refuses ids whose known prefix
 * contradicts the kind.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import type { LibraryRatingKind, RatingKind } from "./RatingKind.js"
import { InvalidId } from "./RatingsError.js"

/**
 * The longest id accepted.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxLength = 128

const safe = /^[A-Za-z0-9._-]+$/

/**
 * The prefix of the library ids of each library kind (`i.7PJNN4mfXlD68R` is a
 * library song). Music videos share the songs' `i.`.
 *
 * @since 0.2.0
 * @category constants
 */
export const libraryPrefix: { readonly [K in LibraryRatingKind]: "i." | "l." | "p." } = {
  "library-songs": "i.",
  "library-albums": "l.",
  "library-music-videos": "i.",
  "library-playlists": "p."
}

/** The kind to suggest for a library id of each prefix: the first kind using it. */
const libraryPrefixes: Record<string, LibraryRatingKind> = {}
for (const [kind, prefix] of Object.entries(libraryPrefix) as Array<[LibraryRatingKind, string]>) {
  libraryPrefixes[prefix] ??= kind
}

const contradiction = (kind: RatingKind, id: string): string | undefined => {
  if (kind.startsWith("library-")) {
    if (/^\d+$/.test(id)) {
      return `a numeric id is a catalog id, not a library id; did you mean kind '${kind.slice("library-".length)}'?`
    }
    if (id.startsWith("pl.")) return "'pl.' ids are catalog playlists; did you mean kind 'playlists'?"
    if (id.startsWith("ra.")) return "'ra.' ids are stations; did you mean kind 'stations'?"
    return undefined
  }
  const prefix = Object.keys(libraryPrefixes).find((p) => id.startsWith(p))
  if (prefix !== undefined) {
    return `'${prefix}' ids are library ids, not catalog ids; did you mean kind '${libraryPrefixes[prefix]}'?`
  }
  return undefined
}

/**
 * Why an id is refused for a kind, or `undefined` when it is acceptable.
 *
 * @since 0.1.0
 * @category validation
 */
export const problem = (kind: RatingKind, id: string): string | undefined => {
  if (id.length === 0) return "the id is empty"
  if (id.length > maxLength) return `the id is ${id.length} characters long; ids have at most ${maxLength}`
  if (id === "." || id === "..") return "'.' and '..' are path segments, not ids"
  if (!safe.test(id)) {
    const bad = [...id].find((char) => !safe.test(char))!
    const shown = bad.trim() === ""
      ? `whitespace (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`
      : `'${bad}'`
    return `it contains ${shown}; ids use only letters, digits, '.', '_' and '-'`
  }
  if (!/^[A-Za-z0-9]/.test(id)) return "ids start with a letter or a digit (is it a mistyped option?)"
  return contradiction(kind, id)
}

/**
 * Checks an id for a kind, failing with {@link InvalidId} and a message a
 * person can act on.
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (kind: RatingKind, id: string): Either.Either<string, InvalidId> => {
  const reason = typeof id === "string" ? problem(kind, id) : "the id is not a string"
  return reason === undefined ? Either.right(id) : Either.left(new InvalidId({ kind, id: String(id), reason }))
}
