import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import { apiPolicy, nonceHeader, page, pagePolicy } from "./loginPage.js"

/** The sign-in did not yield a token: the page was closed, or time ran out. Exit code 3. @internal */
export class LoginFailed extends Schema.TaggedError<LoginFailed>("@unrate/cli/LoginFailed")("LoginFailed", {
  reason: Schema.String
}) {
  override get message(): string {
    return this.reason
  }
}

/** Apple's MusicKit JS v3. @internal */
export const defaultMusicKitUrl = "https://js-cdn.music.apple.com/musickit/v3/musickit.js"

/** @internal */
export const defaultTimeout = Duration.minutes(5)

/** How long a closed page may take to come back (a reload) before the login gives up. @internal */
export const closedGrace = Duration.seconds(3)

/** @internal */
export interface LoginOptions {
  readonly port: number
  readonly developerToken: Redacted.Redacted<string>
  readonly musicKitUrl: string
  readonly credentialsPath: string
  readonly version: string
  readonly timeout: Duration.DurationInput
  /** Called once the page is served, with its URL. */
  readonly onListening: (url: string) => Effect.Effect<void>
  /** Called for every refused request, with a reason that never holds a token. */
  readonly onRefused: (reason: string) => Effect.Effect<void>
}

const maxTokenLength = 8192

/** The largest body a POST may have; a longer one is answered 413 and not read further. @internal */
export const maxBodyLength = 16384

/** Connections served at once; more are closed as they arrive, so the process never runs out of sockets. @internal */
export const maxConnections = 32

/** A connection has this long to send a request's headers, and its whole body. @internal */
export const serverTimeouts = { headersTimeout: 5_000, requestTimeout: 10_000, keepAliveTimeout: 5_000 } as const

const sameSecret = (expected: Buffer, given: unknown) => {
  if (typeof given !== "string") return false
  const buffer = Buffer.from(given)
  return buffer.length === expected.length && Crypto.timingSafeEqual(buffer, expected)
}

const headers = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "content-security-policy": apiPolicy
}

const answer = (status: number, body: Record<string, unknown>) =>
  HttpServerResponse.unsafeJson(body, { status, headers })

/** The body as text, or undefined when it is longer than maxBodyLength (reading stops there). */
const readCapped = (incoming: Http.IncomingMessage) =>
  Effect.async<string | undefined>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const finish = (text: string | undefined) => {
      incoming.off("data", onData).off("end", onEnd).off("error", onEnd).off("close", onEnd)
      resume(Effect.succeed(text))
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBodyLength) return finish(undefined)
      chunks.push(chunk)
    }
    const onEnd = () => finish(Buffer.concat(chunks).toString("utf8"))
    incoming.on("data", onData).once("end", onEnd).once("error", onEnd).once("close", onEnd)
  })

/** The JSON object of a POST body, `{}` when it is none, or "TooLarge" (the rest is never read). */
const readJson = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function*() {
    const declared = Number(request.headers["content-length"] ?? 0)
    if (declared > maxBodyLength) return "TooLarge" as const
    const text = yield* readCapped(NodeHttpServerRequest.toIncomingMessage(request))
    if (text === undefined) return "TooLarge" as const
    try {
      const value: unknown = JSON.parse(text)
      return typeof value === "object" && value !== null ? value as Record<string, unknown> : {}
    } catch {
      return {}
    }
  })

interface Run {
  readonly options: LoginOptions
  readonly nonce: string
  readonly expected: Buffer
  /** The per-run nonce of the page's own script and style in its Content-Security-Policy. */
  readonly cspNonce: string
  readonly outcome: Deferred.Deferred<Redacted.Redacted<string>, LoginFailed>
  readonly state: { port: number; used: boolean; pageLoads: number }
  readonly scope: Scope.Scope
}

type Handler = Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>

const refuse = (run: Run, status: number, reason: string, close = false) =>
  Effect.as(
    run.options.onRefused(reason),
    close ?
      answer(status, { error: reason }).pipe(HttpServerResponse.setHeader("connection", "close")) :
      answer(status, { error: reason })
  )

const servePage = (run: Run) =>
  Effect.sync(() => {
    run.state.pageLoads++
    return HttpServerResponse.html(
      page({
        developerToken: Redacted.value(run.options.developerToken),
        nonce: run.nonce,
        cspNonce: run.cspNonce,
        musicKitUrl: run.options.musicKitUrl,
        credentialsPath: run.options.credentialsPath,
        version: run.options.version
      })
    ).pipe(
      HttpServerResponse.setHeaders({
        ...headers,
        "content-security-policy": pagePolicy(run.options.musicKitUrl, run.cspNonce)
      })
    )
  })

/** POST /token: the nonce header is checked before a byte of the body is read. */
const acceptToken = (run: Run, request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function*() {
    const nonce = request.headers[nonceHeader]
    if (nonce === undefined) return yield* refuse(run, 403, "POST /token without the page's nonce", true)
    if (!sameSecret(run.expected, nonce)) return yield* refuse(run, 403, "POST /token with a wrong nonce", true)
    if (run.state.used) return yield* refuse(run, 403, "POST /token after a token was already accepted", true)
    const body = yield* readJson(request)
    if (body === "TooLarge") {
      return yield* refuse(run, 413, `POST /token with a body over ${maxBodyLength} bytes`, true)
    }
    const token = body.musicUserToken
    if (typeof token !== "string" || token.length === 0 || token.length > maxTokenLength || /\s/.test(token)) {
      return yield* refuse(run, 400, "POST /token without a usable musicUserToken")
    }
    run.state.used = true
    const response = NodeHttpServerRequest.toServerResponse(request)
    response.once("finish", () => Deferred.unsafeDone(run.outcome, Exit.succeed(Redacted.make(token))))
    return answer(200, { stored: true }).pipe(HttpServerResponse.setHeader("connection", "close"))
  })

/** POST /closed: the page went away; unless it comes back within closedGrace, the login fails. */
const pageClosed = (run: Run, request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function*() {
    if (!sameSecret(run.expected, request.headers[nonceHeader])) {
      return yield* refuse(run, 403, "POST /closed without the page's nonce", true)
    }
    if (!run.state.used) {
      const loads = run.state.pageLoads
      yield* Effect.sleep(closedGrace).pipe(
        Effect.zipRight(Effect.suspend(() =>
          run.state.pageLoads === loads && !run.state.used
            ? Deferred.fail(
              run.outcome,
              new LoginFailed({ reason: "the sign-in page was closed before Apple signed you in" })
            )
            : Effect.void
        )),
        Effect.forkIn(run.scope)
      )
      yield* Effect.yieldNow() // the grace timer starts before the page hears back
    }
    return HttpServerResponse.empty({ status: 204, headers })
  })

const handler = (run: Run): Handler =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const path = new URL(request.url, "http://127.0.0.1").pathname
    const host = request.headers["host"] ?? ""
    const origins = [`http://127.0.0.1:${run.state.port}`, `http://localhost:${run.state.port}`]
    if (!origins.some((origin) => origin === `http://${host}`)) {
      return yield* refuse(run, 403, `${request.method} ${path}: the Host header is not this computer's address`, true)
    }
    const origin = request.headers["origin"]
    if (request.method === "POST" && origin !== undefined && !origins.includes(origin)) {
      return yield* refuse(run, 403, `POST ${path}: sent from another site (${origin})`, true)
    }
    if (request.method === "GET" && path === "/") return yield* servePage(run)
    if (request.method === "POST" && path === "/token") return yield* acceptToken(run, request)
    if (request.method === "POST" && path === "/closed") return yield* pageClosed(run, request)
    return HttpServerResponse.empty({ status: 404, headers })
  })

/** Node's server, with the connection cap and short timeouts, so idle connections cannot pile up. */
const makeNodeServer = () => {
  const server = Http.createServer({ ...serverTimeouts, connectionsCheckingInterval: 1_000 })
  server.maxConnections = maxConnections
  return server
}

/**
 * Serves the sign-in page on 127.0.0.1 until the page posts back one music
 * user token with the page's one-time nonce; then closes the server and
 * succeeds with the token. Fails with LoginFailed when the page is closed
 * (and not reopened within a few seconds) or the timeout passes.
 *
 * @internal
 */
export const receiveToken = (
  options: LoginOptions
): Effect.Effect<Redacted.Redacted<string>, LoginFailed | HttpServerError.ServeError> =>
  Effect.scoped(Effect.gen(function*() {
    const nonce = Crypto.randomBytes(32).toString("base64url")
    const run: Run = {
      options,
      nonce,
      expected: Buffer.from(nonce),
      cspNonce: Crypto.randomBytes(18).toString("base64"),
      outcome: yield* Deferred.make<Redacted.Redacted<string>, LoginFailed>(),
      state: { port: 0, used: false, pageLoads: 0 },
      scope: yield* Effect.scope
    }
    const nodeServer = makeNodeServer()
    const server = yield* NodeHttpServer.make(() => nodeServer, { port: options.port, host: "127.0.0.1" })
    yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
    run.state.port = server.address._tag === "TcpAddress" ? server.address.port : 0
    yield* server.serve(handler(run))
    yield* options.onListening(`http://127.0.0.1:${run.state.port}/`)
    return yield* Deferred.await(run.outcome).pipe(
      Effect.timeoutFail({
        duration: options.timeout,
        onTimeout: () =>
          new LoginFailed({
            reason: `nobody signed in within ${
              Duration.format(Duration.decode(options.timeout))
            }; run \`unrate login\` again`
          })
      })
    )
  }))
