import * as Headers from "@effect/platform/Headers"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Rating } from "@unrate/core/Rating"
import type { RatingKind } from "@unrate/core/RatingKind"
import { librarySegment } from "@unrate/core/RatingKind"
import type { RatingsBackend } from "@unrate/core/RatingRequest"
import type { Operation, RatingsError } from "@unrate/core/RatingsError"
import { Transport, UnexpectedResponse } from "@unrate/core/RatingsError"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Wire from "./wire.js"

/** @internal */
export const redactedHeaderNames = ["music-user-token"]

/**
 * The most bytes of an error answer's body that are read; the rest is never
 * read (a hostile or broken server cannot make the client hold megabytes).
 *
 * @internal
 */
export const maxErrorBodyBytes = 65536

/** @internal */
export interface HttpBackendOptions {
  readonly client: HttpClient.HttpClient
  readonly baseUrl: URL
  readonly developerToken: Effect.Effect<Redacted.Redacted<string>>
  readonly userToken: Redacted.Redacted<string>
  readonly timeout: Duration.Duration
  /** The client sends no trace headers and records no headers: nothing to redact per request. */
  readonly direct?: boolean | undefined
}

interface Context {
  readonly operation: Operation
  readonly kind: RatingKind
  readonly id?: string | undefined
}

const transportReason = (error: HttpClientError.RequestError): Transport["reason"] => {
  const codes: Array<string> = []
  let cause: unknown = error.cause
  for (let depth = 0; depth < 4 && typeof cause === "object" && cause !== null; depth++) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === "string") codes.push(code)
    cause = (cause as { cause?: unknown }).cause
  }
  if (codes.includes("ECONNREFUSED")) return "ConnectionRefused"
  if (codes.some((code) => /ECONNRESET|UND_ERR_SOCKET|EPIPE|UND_ERR_CLOSED/.test(code))) return "ConnectionReset"
  if (codes.some((code) => /TIMEOUT/.test(code))) return "Timeout"
  return "Other"
}

/**
 * undici says UND_ERR_DESTROYED only of a dispatcher (agent, pool, client)
 * that was destroyed: by its owner's scope closing, never on its own when a
 * connection breaks (that is UND_ERR_SOCKET or ECONNRESET). No retry can
 * succeed on it: the client was used after the scope that made it closed.
 */
const isClosedClient = (error: HttpClientError.RequestError): boolean => {
  let cause: unknown = error.cause
  for (let depth = 0; depth < 4 && typeof cause === "object" && cause !== null; depth++) {
    if ((cause as { code?: unknown }).code === "UND_ERR_DESTROYED") return true
    cause = (cause as { cause?: unknown }).cause
  }
  return false
}

const closedClient = "The HTTP client was closed (undici: UND_ERR_DESTROYED): the Apple Music client was used after " +
  "the scope or layer that made it closed; retrying cannot help"

type Secrets = ReadonlyArray<Redacted.Redacted<string>>

/** The messages and codes along a cause's chain (at most 4 deep). */
const causeTexts = (cause: unknown): Array<{ readonly code?: string; readonly message?: string }> => {
  const texts: Array<{ readonly code?: string; readonly message?: string }> = []
  let current: unknown = cause
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown }
    texts.push({
      ...(typeof code === "string" ? { code } : {}),
      ...(typeof message === "string" && message !== "" ? { message } : {})
    })
    current = (current as { cause?: unknown }).cause
  }
  return texts
}

const describeCause = (cause: unknown, secrets: Secrets): string => {
  const parts = causeTexts(cause).flatMap((text) =>
    text.code !== undefined ? [text.code] : text.message !== undefined ? [text.message] : []
  )
  return parts.length === 0 ? "no further detail" : Wire.sanitizeServerText([...new Set(parts)].join(": "), secrets)
}

/** The cause itself, unless its messages show a token: then an Error with the sanitised description. */
const safeCause = (cause: unknown, secrets: Secrets, description: string): unknown => {
  const text = causeTexts(cause).map((part) => `${part.code ?? ""} ${part.message ?? ""}`).join(" ")
  return Wire.sanitizeServerText(text, secrets, Infinity) === Wire.sanitizeServerText(text, [], Infinity)
    ? cause
    : new Error(description)
}

/** A Transport failure that keeps its cause. */
const transportError = (
  context: Context,
  reason: Transport["reason"],
  cause: unknown,
  secrets: Secrets,
  describe: (detail: string) => string = (detail) => detail
): Transport => {
  const description = describe(describeCause(cause, secrets))
  return new Transport({
    ...context,
    reason,
    description,
    ...(cause === undefined ? {} : { cause: safeCause(cause, secrets, description) })
  })
}

const decodeBytes = (chunks: ReadonlyArray<Uint8Array>, size: number): string => {
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  return new TextDecoder().decode(bytes)
}

const unexpected = (context: Context, status: number, description: string) =>
  new UnexpectedResponse({ ...context, status, errors: [], description })

const bodyUnreadable = (context: Context, secrets: Secrets) => (error: HttpClientError.ResponseError) =>
  transportError(
    context,
    "ConnectionReset",
    error.cause,
    secrets,
    (detail) => `the answer's body could not be read (${detail})`
  )

const readBody = (response: HttpClientResponse.HttpClientResponse, context: Context, secrets: Secrets) =>
  Effect.mapError(response.text, bodyUnreadable(context, secrets))

// An error's body is read up to maxErrorBodyBytes; a declared length within that takes the plain path.
const readErrorBody = (response: HttpClientResponse.HttpClientResponse, context: Context, secrets: Secrets) => {
  const declared = Number(response.headers["content-length"] ?? NaN)
  if (declared <= maxErrorBodyBytes) return readBody(response, context, secrets)
  return response.stream.pipe(
    Stream.runFoldWhile(
      { chunks: [] as Array<Uint8Array>, size: 0 },
      (read) => read.size < maxErrorBodyBytes,
      (read, chunk) => {
        read.chunks.push(chunk.subarray(0, maxErrorBodyBytes - read.size))
        return { chunks: read.chunks, size: read.size + Math.min(chunk.length, maxErrorBodyBytes - read.size) }
      }
    ),
    Effect.map((read) => decodeBytes(read.chunks, read.size)),
    Effect.catchIf((error) => error.reason === "EmptyBody", () => Effect.succeed("")),
    Effect.mapError(bodyUnreadable(context, secrets))
  )
}

const parseJson = (text: string, status: number, context: Context): Effect.Effect<unknown, UnexpectedResponse> =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: () => unexpected(context, status, "the body is not JSON")
  })

interface Answer {
  readonly status: number
  readonly body: string
}

/** The error for an answer that is not a success: its body read (bounded), parsed and decoded. */
const failedAnswer = (response: HttpClientResponse.HttpClientResponse, context: Context, secrets: Secrets) =>
  Effect.gen(function*() {
    const body = yield* readErrorBody(response, context, secrets)
    const parsed = body === ""
      ? undefined
      : yield* Effect.orElseSucceed(parseJson(body, response.status, context), () => undefined)
    const now = yield* Clock.currentTimeMillis
    const retryAfter = Option.getOrUndefined(Wire.parseRetryAfter(response.headers["retry-after"], now))
    return yield* Effect.fail(
      Wire.errorFromAnswer(response.status, { ...context, body: parsed, retryAfterMillis: retryAfter, secrets })
    )
  })

/** Sends one request with the tokens, within the attempt's time limit; answers a success's status and body. */
const makeExecute = (options: HttpBackendOptions) => {
  // The headers every request carries, rebuilt only when the developer token changes (it is re-signed rarely).
  let cachedHeaders: { readonly token: string; readonly headers: Headers.Input } | undefined
  const authHeaders = (developerToken: Redacted.Redacted<string>): Headers.Input => {
    const token = Redacted.value(developerToken)
    if (cachedHeaders?.token !== token) {
      cachedHeaders = {
        token,
        headers: {
          authorization: `Bearer ${token}`,
          "music-user-token": Redacted.value(options.userToken),
          accept: "application/json"
        }
      }
    }
    return cachedHeaders.headers
  }

  // An Effect-level timeout forks fibers on every attempt; an infinite one is left to the HttpClient (undici on Node).
  const timeLimit = (context: Context) => <A>(self: Effect.Effect<A, RatingsError>): Effect.Effect<A, RatingsError> =>
    Duration.isFinite(options.timeout)
      ? Effect.timeoutFail(self, {
        duration: options.timeout,
        onTimeout: () =>
          new Transport({
            ...context,
            reason: "Timeout",
            description: `no answer within ${Duration.format(options.timeout)}`
          })
      })
      : self

  const redacting = <A>(self: Effect.Effect<A, RatingsError>) =>
    options.direct === true
      ? self
      : Effect.locallyWith(self, Headers.currentRedactedNames, (names) => [...names, ...redactedHeaderNames])

  return (request: HttpClientRequest.HttpClientRequest, context: Context): Effect.Effect<Answer, RatingsError> =>
    Effect.flatMap(options.developerToken, (developer) => {
      const secrets = [developer, options.userToken]
      return Effect.matchEffect(options.client.execute(HttpClientRequest.setHeaders(request, authHeaders(developer))), {
        onFailure: (error) =>
          error._tag === "RequestError" && isClosedClient(error)
            ? Effect.die(new Error(closedClient))
            : Effect.fail(
              transportError(
                context,
                error._tag === "RequestError" ? transportReason(error) : "Other",
                error.cause,
                secrets
              )
            ),
        onSuccess: (response): Effect.Effect<Answer, RatingsError> =>
          response.status >= 200 && response.status < 300
            ? Effect.map(readBody(response, context, secrets), (body) => ({ status: response.status, body }))
            : failedAnswer(response, context, secrets)
      })
    }).pipe(timeLimit(context), redacting)
}

const withLanguage = (language: string | undefined) => (request: HttpClientRequest.HttpClientRequest) =>
  language === undefined ? request : HttpClientRequest.setUrlParam(request, "l", language)

/** Ratings built from a decoded answer and a validated request: checked already, not again per rating. */
const checked = { disableValidation: true } as const

const decodeRatings = ({ body, status }: Answer, context: Context) =>
  Effect.flatMap(parseJson(body, status, context), (json) =>
    Effect.mapError(
      Wire.decodeRatingsResponse(json),
      () => unexpected(context, status, "the body is not a RatingsResponse")
    ))

const decodeRating = (answer: Answer, context: Context & { readonly id: string }) =>
  Effect.flatMap(decodeRatings(answer, context), (decoded) => {
    const first = decoded.data[0]
    return first === undefined
      ? Effect.fail(unexpected(context, answer.status, "the RatingsResponse holds no rating"))
      : Effect.succeed(new Rating({ kind: context.kind, id: context.id, value: first.attributes.value }, checked))
  })

const decodePage = ({ body, status }: Answer, context: Context) =>
  Effect.flatMap(
    parseJson(body, status, context),
    (json) =>
      Effect.mapError(Wire.decodeLibraryPage(json), () => unexpected(context, status, "the body is not a library page"))
  )

/** @internal */
export const makeBackend = (options: HttpBackendOptions): RatingsBackend => {
  const root = options.baseUrl.href.replace(/\/+$/, "")
  const execute = makeExecute(options)
  const ratingUrl = (kind: RatingKind, id: string) => `${root}/v1/me/ratings/${kind}/${encodeURIComponent(id)}`
  return {
    deleteRating: (request) => {
      const context = { operation: "delete", kind: request.kind, id: request.id } as const
      const http = HttpClientRequest.del(ratingUrl(request.kind, request.id)).pipe(withLanguage(request.language))
      return Effect.asVoid(execute(http, context))
    },
    getRating: (request) => {
      const context = { operation: "get", kind: request.kind, id: request.id } as const
      const http = HttpClientRequest.get(ratingUrl(request.kind, request.id)).pipe(withLanguage(request.language))
      return Effect.flatMap(execute(http, context), (answer) => decodeRating(answer, context))
    },
    getRatings: (request) => {
      const context = { operation: "getMany", kind: request.kind } as const
      const http = HttpClientRequest.get(`${root}/v1/me/ratings/${request.kind}`).pipe(
        HttpClientRequest.setUrlParam("ids", request.ids.join(",")),
        withLanguage(request.language)
      )
      return execute(http, context).pipe(
        Effect.flatMap((answer) => decodeRatings(answer, context)),
        Effect.map((response) =>
          response.data.map((resource) =>
            new Rating({ kind: request.kind, id: resource.id, value: resource.attributes.value }, checked)
          )
        )
      )
    },
    setRating: (request) => {
      const context = { operation: "set", kind: request.kind, id: request.id } as const
      const http = HttpClientRequest.put(ratingUrl(request.kind, request.id)).pipe(
        withLanguage(request.language),
        HttpClientRequest.bodyUnsafeJson(Wire.ratingRequestBody(request.value))
      )
      return Effect.flatMap(execute(http, context), (answer) =>
        answer.body === ""
          ? Effect.succeed(new Rating({ kind: request.kind, id: request.id, value: request.value }))
          : decodeRating(answer, context))
    },
    listLibraryPage: (request) => {
      const context = { operation: "listLibrary", kind: request.kind } as const
      const url = request.cursor === undefined
        ? new URL(`${root}/v1/me/library/${librarySegment(request.kind)}`)
        : resolveNext(root, request.cursor)
      if (url === undefined) {
        const shown = JSON.stringify(Wire.sanitizeServerText(request.cursor ?? "", [options.userToken]))
        return Effect.fail(unexpected(context, 200, `the next page ${shown} is not on ${options.baseUrl.origin}`))
      }
      if (!url.searchParams.has("limit")) url.searchParams.set("limit", String(Wire.maxPageSize))
      if (request.language !== undefined && !url.searchParams.has("l")) url.searchParams.set("l", request.language)
      return execute(HttpClientRequest.get(url), context).pipe(
        Effect.flatMap((answer) => decodePage(answer, context)),
        Effect.map(Wire.libraryPageResult)
      )
    }
  }
}

/**
 * Resolves a `next` path against the root; a URL on another origin is refused
 * (the tokens must never go anywhere else).
 *
 * @internal
 */
export const resolveNext = (root: string, next: string): URL | undefined => {
  const base = new URL(root)
  try {
    const url = next.startsWith("/") ? new URL(`${root}${next}`) : new URL(next, `${root}/`)
    return url.origin === base.origin ? url : undefined
  } catch {
    return undefined
  }
}
