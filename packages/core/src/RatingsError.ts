/**
 * Everything that can go wrong with a rating request, as one tagged union.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { RatingKind } from "./RatingKind.js"

/**
 * What a request was doing when it failed.
 *
 * @since 0.1.0
 * @category models
 */
export const Operation = Schema.Literal("delete", "get", "getMany", "set", "listLibrary")

/**
 * @since 0.1.0
 * @category models
 */
export type Operation = typeof Operation.Type

/**
 * One entry of Apple's `errors` array, as an error carries it (decoded,
 * sanitised and bounded by the transport that read the answer).
 *
 * @since 0.1.0
 * @category models
 */
export class AppleError extends Schema.Class<AppleError>("@unrate/core/AppleError")({
  id: Schema.optional(Schema.String),
  title: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String),
  code: Schema.optional(Schema.String),
  source: Schema.optional(Schema.Struct({
    parameter: Schema.optional(Schema.String),
    pointer: Schema.optional(Schema.String)
  }))
}) {}

/**
 * The most characters of one piece of server text (a title, a detail) an
 * error carries; longer text is cut and ends with `…`. The decoding of Apple's
 * answers (in `@unrate/platform`) also strips control characters and redacts
 * tokens.
 *
 * @since 0.2.0
 * @category formatting
 */
export const maxServerTextLength = 300

/**
 * Cuts text to `max` characters, ending with `…` when it was longer (never
 * half a surrogate pair).
 *
 * @since 0.2.0
 * @category formatting
 */
export const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text
  let end = max - 1
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end-- // never half a surrogate pair
  return `${text.slice(0, end)}…`
}

const withDefined = <A extends Record<string, unknown>>(record: A): A => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(record)) {
    if (value !== undefined) out[key] = value
  }
  return out as A
}

const context = {
  operation: Schema.optional(Operation),
  kind: Schema.optional(RatingKind)
}

/** The fields of an error Apple answered with: what was asked, and Apple's `errors`. */
const answered = {
  ...context,
  id: Schema.optional(Schema.String),
  errors: Schema.optionalWith(Schema.Array(AppleError), { default: () => [] })
}

const describeErrors = (errors: ReadonlyArray<AppleError>): string => {
  const parts = errors.map((error) => {
    const head = [error.code, error.title].filter((part) => part !== undefined && part !== "").join(" ")
    return error.detail === undefined || error.detail === ""
      ? head
      : head === ""
      ? error.detail
      : `${head}: ${error.detail}`
  }).filter((part) => part !== "")
  return parts.length === 0 ? "" : ` Apple said: ${truncate(parts.join("; "), maxServerTextLength)}.`
}

const target = (self: { readonly kind?: RatingKind | undefined; readonly id?: string | undefined }): string =>
  self.kind === undefined ? "" : self.id === undefined ? ` (${self.kind})` : ` (${self.kind} ${showId(self.id)})`

/**
 * Shows an id safely in a message: quoted, escaped, and cut to 64 characters.
 *
 * @since 0.1.0
 * @category formatting
 */
export const showId = (id: string): string => {
  const shown = id.length > 64 ? `${id.slice(0, 64)}… (${id.length} characters)` : id
  return JSON.stringify(shown)
}

/**
 * An id that cannot name a rating; no request was sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidId extends Schema.TaggedError<InvalidId>("@unrate/core/InvalidId")("InvalidId", {
  ...context,
  id: Schema.String,
  reason: Schema.String
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Invalid ${this.kind ?? "rating"} id ${showId(this.id)}: ${this.reason}. No request was sent.`
  }
}

/**
 * Input other than an id that cannot be sent: a rating value other than 1 or
 * -1, a malformed language tag, an empty id list. No request was sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>("@unrate/core/InvalidInput")("InvalidInput", {
  ...context,
  id: Schema.optional(Schema.String),
  field: Schema.Literal("kind", "value", "language", "ids"),
  value: Schema.Unknown,
  reason: Schema.String
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const shown = typeof this.value === "string" ? showId(this.value) : JSON.stringify(this.value) ?? String(this.value)
    return `Invalid ${this.field} ${shown}${target(this)}: ${this.reason}. No request was sent.`
  }
}

/**
 * 401: Apple refused the developer token (missing, malformed, expired, signed
 * with the wrong key), or the account cannot use Apple Music.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>("@unrate/core/Unauthorized")("Unauthorized", {
  ...answered,
  status: Schema.Literal(401)
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Apple Music refused the developer token (401)${
      target(this)
    }: it is missing, malformed, expired or signed with the wrong key, or the account has no Apple Music subscription. A new developer token (or the right signing key) is needed.${
      describeErrors(this.errors)
    }`
  }
}

/**
 * 403: Apple refused the music user token (code 40300, "Invalid
 * authentication": invalid or expired), or privacy consent was not given.
 *
 * @since 0.1.0
 * @category errors
 */
export class Forbidden extends Schema.TaggedError<Forbidden>("@unrate/core/Forbidden")("Forbidden", {
  ...answered,
  status: Schema.Literal(403)
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const code = this.errors.some((error) => error.code === "40300") ? ", code 40300 Invalid authentication" : ""
    return `Apple Music refused the music user token (403${code})${
      target(this)
    }: it is invalid or has expired (Apple sends no separate code for expiry), or the user has not given privacy consent. Re-authorize the user (MusicKit's authorize()) to get a new music user token.${
      describeErrors(this.errors)
    }`
  }
}

/**
 * 404: there is no such rating (or no such item).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>("@unrate/core/NotFound")("NotFound", {
  ...answered,
  status: Schema.Literal(404)
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `No rating found (404)${target(this)}.${describeErrors(this.errors)}`
  }
}

/**
 * 429: too many requests. `retryAfterMillis` is set when the server sent
 * `Retry-After` (Apple usually does not).
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimited extends Schema.TaggedError<RateLimited>("@unrate/core/RateLimited")("RateLimited", {
  ...answered,
  status: Schema.Literal(429),
  retryAfterMillis: Schema.optional(Schema.Number)
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const after = this.retryAfterMillis === undefined ? "" : ` Retry after ${this.retryAfterMillis / 1000} s.`
    return `Apple Music is rate limiting these requests (429)${
      target(this)
    }: fewer requests per second are needed.${after}${describeErrors(this.errors)}`
  }
}

/**
 * 400: Apple rejected the request (an invalid parameter, path or language tag).
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequest extends Schema.TaggedError<BadRequest>("@unrate/core/BadRequest")("BadRequest", {
  ...answered,
  status: Schema.Literal(400)
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Apple Music rejected the request as invalid (400)${target(this)}.${describeErrors(this.errors)}`
  }
}

/**
 * 5xx: Apple failed; usually worth retrying.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerError extends Schema.TaggedError<ServerError>("@unrate/core/ServerError")("ServerError", {
  ...answered,
  status: Schema.Number
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Apple Music failed with ${this.status}${target(this)}; the request can be retried.${
      describeErrors(this.errors)
    }`
  }
}

/**
 * No answer: the connection was refused or reset, or the request timed out.
 *
 * @since 0.1.0
 * @category errors
 */
export class Transport extends Schema.TaggedError<Transport>("@unrate/core/Transport")("Transport", {
  ...context,
  id: Schema.optional(Schema.String),
  reason: Schema.Literal("ConnectionRefused", "ConnectionReset", "Timeout", "Other"),
  description: Schema.String,
  /** The underlying failure (e.g. the socket error), never one that shows a token. */
  cause: Schema.optional(Schema.Defect)
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const what = {
      ConnectionRefused: "the connection was refused",
      ConnectionReset: "the connection was reset",
      Timeout: "the request timed out",
      Other: "the request could not be sent"
    }[this.reason]
    return `Could not reach Apple Music${target(this)}: ${what} (${this.description}).`
  }
}

/**
 * An answer unrate cannot read: an unexpected status or a body that does not
 * decode.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnexpectedResponse
  extends Schema.TaggedError<UnexpectedResponse>("@unrate/core/UnexpectedResponse")("UnexpectedResponse", {
    ...answered,
    status: Schema.Number,
    description: Schema.String
  })
{
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Apple Music sent an answer unrate cannot read (status ${this.status})${target(this)}: ${this.description}.${
      describeErrors(this.errors)
    }`
  }
}

/**
 * @since 0.1.0
 * @category schemas
 */
export const RatingsError = Schema.Union(
  InvalidId,
  InvalidInput,
  Unauthorized,
  Forbidden,
  NotFound,
  RateLimited,
  BadRequest,
  ServerError,
  Transport,
  UnexpectedResponse
)

/**
 * Every error a rating request can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type RatingsError = typeof RatingsError.Type

/**
 * @since 0.1.0
 * @category guards
 */
export const isRatingsError: (u: unknown) => u is RatingsError = Schema.is(RatingsError)

/**
 * Errors a retry can cure: rate limiting, server failures and transport failures.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryable = (error: RatingsError): error is RateLimited | ServerError | Transport =>
  error._tag === "RateLimited" || error._tag === "ServerError" || error._tag === "Transport"

/**
 * Errors that stop a batch: the developer token or the music user token was refused.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isAuthError = (error: RatingsError): error is Unauthorized | Forbidden =>
  error._tag === "Unauthorized" || error._tag === "Forbidden"

/**
 * What is known about a failed response, for {@link fromStatus}.
 *
 * @since 0.1.0
 * @category constructors
 */
export interface ResponseContext {
  readonly operation?: Operation | undefined
  readonly kind?: RatingKind | undefined
  readonly id?: string | undefined
  /** Apple's `errors[]`, already decoded from the answer's body. */
  readonly errors?: ReadonlyArray<AppleError> | undefined
  readonly retryAfterMillis?: number | undefined
}

/**
 * The error for an HTTP status that is not a success: 400, 401, 403, 404, 429
 * and 5xx map to their own members, anything else is an UnexpectedResponse.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromStatus = (status: number, context: ResponseContext = {}): RatingsError => {
  const common = withDefined({
    operation: context.operation,
    kind: context.kind,
    id: context.id,
    errors: context.errors ?? []
  })
  switch (status) {
    case 400:
      return new BadRequest({ ...common, status })
    case 401:
      return new Unauthorized({ ...common, status })
    case 403:
      return new Forbidden({ ...common, status })
    case 404:
      return new NotFound({ ...common, status })
    case 429:
      return new RateLimited(withDefined({ ...common, status, retryAfterMillis: context.retryAfterMillis }))
  }
  return status >= 500 && status <= 599
    ? new ServerError({ ...common, status })
    : new UnexpectedResponse({ ...common, status, description: `status ${status} is not one Apple documents` })
}
