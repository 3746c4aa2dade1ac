import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import type * as Undici from "undici"
import * as UndiciParts from "./undiciParts.js"

/**
 * The tracer of a runtime nobody configured: spans made with it go nowhere, so
 * a request made under it needs none.
 *
 * @internal
 */
export const nativeTracer: Tracer.Tracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/**
 * Whether the fiber's spans reach an exporter: tracing is on and the
 * tracer is not Effect's built-in one (which keeps spans in memory only).
 *
 * @internal
 */
export const isTraced = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean =>
  fiber.getFiberRef(FiberRef.currentTracerEnabled) &&
  Context.get(fiber.getFiberRef(DefaultServices.currentServices), Tracer.Tracer) !== nativeTracer

/** Where a request goes, without a URL object on the common path (an absolute URL without query parameters). */
const target = (
  request: HttpClientRequest.HttpClientRequest
): Either.Either<{ readonly origin: string; readonly path: string }, unknown> => {
  const url = request.url
  const scheme = url.startsWith("http://") ? 7 : url.startsWith("https://") ? 8 : -1
  if (scheme !== -1 && request.urlParams.length === 0 && !url.includes("#")) {
    const slash = url.indexOf("/", scheme)
    return Either.right(
      slash === -1 ? { origin: url, path: "/" } : { origin: url.slice(0, slash), path: url.slice(slash) }
    )
  }
  return Either.map(
    UrlParams.makeUrl(url, request.urlParams, Option.none()),
    (parsed) => ({ origin: parsed.origin, path: parsed.pathname + parsed.search })
  )
}

const bodyOf = (request: HttpClientRequest.HttpClientRequest): Either.Either<Uint8Array | null, string> => {
  switch (request.body._tag) {
    case "Empty":
      return Either.right(null)
    case "Uint8Array":
      return Either.right(request.body.body)
    case "Raw":
      return request.body.body instanceof Uint8Array
        ? Either.right(request.body.body)
        : typeof request.body.body === "string"
        ? Either.right(new TextEncoder().encode(request.body.body))
        : Either.left("a raw body that is not bytes or text")
    default:
      return Either.left(`a ${request.body._tag} body`)
  }
}

/**
 * An abort signal in the EventEmitter shape undici accepts, one listener at
 * most: a Node `AbortController` costs an `EventTarget` per request.
 */
class Abort {
  aborted = false
  private listener: (() => void) | undefined
  once(_event: "abort", listener: () => void) {
    this.listener = listener
  }
  on(_event: "abort", listener: () => void) {
    this.listener = listener
  }
  removeListener(_event: "abort", listener: () => void) {
    if (this.listener === listener) this.listener = undefined
  }
  abort() {
    this.aborted = true
    this.listener?.()
  }
}

/** One request through the dispatcher; interrupting it before the answer's headers aborts it. */
const send = (
  dispatcher: Undici.Dispatcher,
  timeoutMillis: number,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError> => {
  const where = target(request)
  if (Either.isLeft(where)) {
    return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: where.left }))
  }
  const body = bodyOf(request)
  if (Either.isLeft(body)) {
    return Effect.fail(new HttpClientError.RequestError({ request, reason: "Encode", description: body.left }))
  }
  // Where nothing can interrupt the request (a batch's send), it gets no abort signal: registering one costs a finalizer.
  return Effect.checkInterruptible((interruptible) =>
    Effect.async((resume) => {
      const controller = interruptible ? new Abort() : undefined
      UndiciParts.request(dispatcher, {
        method: request.method,
        origin: where.right.origin,
        path: where.right.path,
        headers: request.headers,
        body: body.right,
        signal: controller,
        headersTimeout: timeoutMillis,
        bodyTimeout: timeoutMillis
      }, (cause, data) => {
        if (cause !== null) {
          resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause })))
        } else resume(Effect.succeed(new Response(request, data)))
      })
      return controller === undefined ? undefined : Effect.sync(() => controller.abort())
    })
  )
}

/** A client span per request, as `HttpClient.make` records it (method, address, path; never a header). */
const traced = (
  request: HttpClientRequest.HttpClientRequest,
  self: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
) =>
  Effect.useSpan(`http.client ${request.method}`, { kind: "client", captureStackTrace: false }, (span) => {
    span.attribute("http.request.method", request.method)
    const where = target(request)
    if (Either.isRight(where)) {
      span.attribute("server.address", where.right.origin)
      span.attribute("url.path", where.right.path.replace(/\?.*$/, ""))
    }
    return Effect.tap(
      Effect.withParentSpan(self, span),
      (response) => span.attribute("http.response.status_code", response.status)
    )
  })

/**
 * Marks the clients made here: they send no trace headers and record no
 * header in a span, so callers can skip making sure of either per request.
 *
 * @internal
 */
export const direct: unique symbol = Symbol.for("@unrate/platform/internal/undiciClient/direct")

/** @internal */
export const isDirect = (client: HttpClient.HttpClient): boolean => direct in client

const decodeError = (request: HttpClientRequest.HttpClientRequest, response: Response) => (cause: unknown) =>
  new HttpClientError.ResponseError({ request, response, reason: "Decode", cause })

/** An answer whose body is read at most once; interrupting a read destroys the body (closing the connection). */
class Response extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [IncomingMessage.TypeId]: IncomingMessage.TypeId = IncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private textBody?: Promise<string>

  constructor(readonly request: HttpClientRequest.HttpClientRequest, readonly source: Undici.Dispatcher.ResponseData) {
    super()
    source.body.on("error", () => {})
  }

  get status() {
    return this.source.statusCode
  }

  get statusText() {
    return undefined
  }

  get cookies(): Cookies.Cookies {
    const header = this.source.headers["set-cookie"]
    return header === undefined ? Cookies.empty : Cookies.fromSetCookie(Array.isArray(header) ? header : [header])
  }

  get headers(): Headers.Headers {
    return Headers.fromInput(this.source.headers as Headers.Input)
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return NodeStream.fromReadable(() => this.source.body, decodeError(this.request, this))
  }

  private read<A>(f: (body: Undici.Dispatcher.ResponseData["body"]) => Promise<A>) {
    return Effect.async<A, HttpClientError.ResponseError>((resume) => {
      f(this.source.body).then(
        (value) => resume(Effect.succeed(value)),
        (cause) => resume(Effect.fail(decodeError(this.request, this)(cause)))
      )
      return Effect.sync(() => this.source.body.destroy())
    })
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    // A 204 has no body to read (undici has already ended its stream): no promise, no stream machinery.
    if (this.source.statusCode === 204) return Effect.succeed("")
    return this.read((body) => this.textBody ??= body.text())
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => text === "" ? null : JSON.parse(text) as unknown,
        catch: decodeError(this.request, this)
      }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: decodeError(this.request, this)
      }))
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return this.read((body) => body.formData() as Promise<FormData>)
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.read((body) => body.arrayBuffer())
  }

  toJSON(): unknown {
    return IncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

/**
 * An `HttpClient` over undici's dispatcher, made with `HttpClient.makeWith`:
 * the request goes straight to `dispatcher.request`, the answer's body is read
 * once, connecting, the answer's headers and each gap between body chunks are
 * each limited to `timeoutMillis` (0: no limit), and a span is made only when
 * a tracer that exports is installed.
 *
 * @internal
 */
export const make = (dispatcher: Undici.Dispatcher, timeoutMillis: number): HttpClient.HttpClient =>
  Object.assign(
    HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
      (effect) =>
        Effect.flatMap(effect, (request) => {
          const sent = send(dispatcher, timeoutMillis, request)
          return Effect.withFiberRuntime((fiber) => isTraced(fiber) ? traced(request, sent) : sent)
        }),
      Effect.succeed
    ),
    { [direct]: true }
  )
