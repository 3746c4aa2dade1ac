/**
 * Apple's wire format, in one place: the JSON shapes of ratings and library
 * pages, the `errors[]` of an error answer, `Retry-After`, and the sanitising
 * of every text a server sends before it reaches an error.
 *
 * @internal
 */
import { LibraryItem } from "@unrate/core/LibraryItem"
import * as AppleMusicRatingsError from "@unrate/core/RatingsError"
import { RatingValue } from "@unrate/core/RatingValue"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

// ---------------------------------------------------------------------------------------------------------------------
// shapes

/** Apple's `Ratings` resource. @internal */
export const RatingResource = Schema.Struct({
  id: Schema.String,
  type: Schema.optional(Schema.String),
  href: Schema.optional(Schema.String),
  attributes: Schema.Struct({ value: RatingValue })
})

/** Apple's `RatingsResponse`: `{ "data": Ratings[] }`. @internal */
export const RatingsResponse = Schema.Struct({ data: Schema.Array(RatingResource) })

/** One page of `GET /v1/me/library/{type}`: `data`, `next` while more remain, `meta` read by {@link totalOf}. @internal */
export const LibraryPage = Schema.Struct({
  data: Schema.Array(LibraryItem),
  next: Schema.optional(Schema.String),
  meta: Schema.optional(Schema.Unknown)
})

/**
 * The library's size a page states in `meta.total`: a non-negative safe
 * integer, or undefined for anything else (absent, junk), never a failure.
 *
 * @internal
 */
export const totalOf = (meta: unknown): number | undefined => {
  if (!Predicate.isRecord(meta)) return undefined
  const total = meta.total
  return Number.isSafeInteger(total) && (total as number) >= 0 ? total as number : undefined
}

/** A decoded library page as the backend answers it: items, `next` and `total` where the page has them. @internal */
export const libraryPageResult = (page: typeof LibraryPage.Type): {
  readonly items: ReadonlyArray<LibraryItem>
  readonly next?: string
  readonly total?: number
} => {
  const total = totalOf(page.meta)
  return {
    items: page.data,
    ...(page.next === undefined ? {} : { next: page.next }),
    ...(total === undefined ? {} : { total })
  }
}

/** The largest page Apple serves. @internal */
export const maxPageSize = 100

/** The body of `PUT /v1/me/ratings/{kind}/{id}`. @internal */
export const ratingRequestBody = (value: RatingValue) => ({ type: "rating", attributes: { value } }) as const

/** @internal */
export const decodeRatingsResponse = Schema.decodeUnknown(RatingsResponse)

/** @internal */
export const decodeLibraryPage = Schema.decodeUnknown(LibraryPage)

// ---------------------------------------------------------------------------------------------------------------------
// server text

/** The most entries of Apple's `errors` array that are kept. @internal */
export const maxAppleErrors = 5

/** What stands in for a token that a server sent back. @internal */
export const redactedText = "<redacted>"

/** Longer input is not looked at: nothing past it could reach the cut text. */
const maxScannedLength = 65536
/** Every run of this many characters of a token is redacted, so no long piece of one survives. */
const secretWindow = 16
/** Shorter secrets are not redacted: they would blank ordinary words. */
const minSecretLength = 8

// C0 (but tab and line breaks), DEL, C1, bidirectional overrides and isolates, the BOM.

const invisible = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g
const spacing = /[\t\n\v\f\r\u0085\u2028\u2029 ]+/g

const secretPieces = (secrets: ReadonlyArray<string>): Set<string> => {
  const pieces = new Set<string>()
  for (const secret of secrets) {
    for (let i = 0; i + secretWindow <= secret.length; i++) pieces.add(secret.slice(i, i + secretWindow))
  }
  return pieces
}

const redactPieces = (text: string, pieces: Set<string>): string => {
  if (pieces.size === 0 || text.length < secretWindow) return text
  const hidden = new Uint8Array(text.length)
  let found = false
  for (let i = 0; i + secretWindow <= text.length; i++) {
    if (pieces.has(text.slice(i, i + secretWindow))) {
      hidden.fill(1, i, i + secretWindow)
      found = true
    }
  }
  if (!found) return text
  let out = ""
  for (let i = 0; i < text.length; i++) {
    if (hidden[i] === 0) out += text[i]
    else if (i === 0 || hidden[i - 1] === 0) out += redactedText
  }
  return out
}

const redactSecrets = (text: string, secrets: ReadonlyArray<string>): string => {
  const usable = secrets.filter((secret) => secret.length >= minSecretLength)
  if (usable.length === 0) return text
  for (const secret of usable) text = text.split(secret).join(redactedText)
  return redactPieces(text, secretPieces(usable))
}

/**
 * Makes text a server sent safe to show in a terminal, a log or JSON: control
 * characters (C0 with ESC, DEL, C1) and bidirectional overrides are removed,
 * line breaks and tabs become single spaces, any of the `secrets` (and any
 * piece of 16 characters or more of one) becomes `<redacted>`, and the result
 * is cut to `max` characters.
 *
 * @internal
 */
export const sanitizeServerText = (
  text: string,
  secrets: ReadonlyArray<Redacted.Redacted<string>> = [],
  max: number = AppleMusicRatingsError.maxServerTextLength
): string => {
  const clean = text.slice(0, maxScannedLength).replace(invisible, "").replace(spacing, " ").trim()
  return AppleMusicRatingsError.truncate(redactSecrets(clean, secrets.map(Redacted.value)), max)
}

// ---------------------------------------------------------------------------------------------------------------------
// error answers

const asString = (u: unknown, secrets: ReadonlyArray<Redacted.Redacted<string>>): string | undefined =>
  typeof u === "string"
    ? sanitizeServerText(u, secrets)
    : typeof u === "number" && Number.isFinite(u)
    ? String(u)
    : undefined

const withDefined = <A extends Record<string, unknown>>(record: A): A => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(record)) {
    if (value !== undefined) out[key] = value
  }
  return out as A
}

/**
 * Reads Apple's `errors[]` out of any response body, leniently: numbers become
 * strings, entries that are not objects and fields Apple does not document are
 * left out, a body that is not an ErrorsResponse gives an empty array. At most
 * {@link maxAppleErrors} entries are kept, and every text is passed through
 * {@link sanitizeServerText} with `secrets` (the tokens the request carried).
 *
 * @internal
 */
export const decodeAppleErrors = (
  body: unknown,
  secrets: ReadonlyArray<Redacted.Redacted<string>> = []
): ReadonlyArray<AppleMusicRatingsError.AppleError> => {
  if (!Predicate.isRecord(body) || !Array.isArray(body.errors)) return []
  const text = (u: unknown) => asString(u, secrets)
  return body.errors.filter(Predicate.isRecord).slice(0, maxAppleErrors).map((entry) => {
    const source = Predicate.isRecord(entry.source)
      ? withDefined({ parameter: text(entry.source.parameter), pointer: text(entry.source.pointer) })
      : undefined
    return new AppleMusicRatingsError.AppleError(withDefined({
      id: text(entry.id),
      title: text(entry.title),
      detail: text(entry.detail),
      status: text(entry.status),
      code: text(entry.code),
      source
    }))
  })
}

/** @internal */
export interface ErrorAnswer extends Omit<AppleMusicRatingsError.ResponseContext, "errors"> {
  /** The parsed JSON body, if any. */
  readonly body?: unknown
  /** The tokens the request carried: redacted wherever the body repeats them. */
  readonly secrets?: ReadonlyArray<Redacted.Redacted<string>> | undefined
}

/**
 * The error for a status that is not a success, with Apple's `errors[]`
 * decoded from the body.
 *
 * @internal
 */
export const errorFromAnswer = (status: number, answer: ErrorAnswer = {}): AppleMusicRatingsError.RatingsError => {
  const { body, secrets, ...context } = answer
  return AppleMusicRatingsError.fromStatus(status, { ...context, errors: decodeAppleErrors(body, secrets) })
}

/**
 * Parses a `Retry-After` header (delta seconds or an HTTP date) into
 * milliseconds from `now`.
 *
 * @internal
 */
export const parseRetryAfter = (header: string | undefined, now: number): Option.Option<number> => {
  if (header === undefined) return Option.none()
  const trimmed = header.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Option.some(Math.round(Number(trimmed) * 1000))
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? Option.none() : Option.some(Math.max(0, date - now))
}
