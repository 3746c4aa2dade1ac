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
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import { page } from "./loginPage.js"

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
const maxBodyLength = 16384

const sameSecret = (expected: Buffer, given: unknown) => {
  if (typeof given !== "string") return false
  const buffer = Buffer.from(given)
  return buffer.length === expected.length && Crypto.timingSafeEqual(buffer, expected)
}

const headers = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff"
}

const answer = (status: number, body: Record<string, unknown>) =>
  HttpServerResponse.unsafeJson(body, { status, headers })

const readJson = (request: HttpServerRequest.HttpServerRequest) =>
  request.text.pipe(
    Effect.map((text): Record<string, unknown> => {
      if (text.length > maxBodyLength) return {}
      try {
        const value: unknown = JSON.parse(text)
        return typeof value === "object" && value !== null ? value as Record<string, unknown> : {}
      } catch {
        return {}
      }
    }),
    Effect.orElseSucceed((): Record<string, unknown> => ({}))
  )

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
    const scope = yield* Effect.scope
    const nonce = Crypto.randomBytes(32).toString("base64url")
    const expected = Buffer.from(nonce)
    const outcome = yield* Deferred.make<Redacted.Redacted<string>, LoginFailed>()
    const state = { port: 0, used: false, pageLoads: 0 }
    const origins = () => [`http://127.0.0.1:${state.port}`, `http://localhost:${state.port}`]

    const refuse = (status: number, reason: string) =>
      Effect.as(options.onRefused(reason), answer(status, { error: reason }))

    const handler: Effect.Effect<
      HttpServerResponse.HttpServerResponse,
      never,
      HttpServerRequest.HttpServerRequest
    > = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const path = new URL(request.url, "http://127.0.0.1").pathname
      const host = request.headers["host"] ?? ""
      if (!origins().some((origin) => origin === `http://${host}`)) {
        return yield* refuse(403, `${request.method} ${path}: the Host header is not this computer's address`)
      }
      const origin = request.headers["origin"]
      if (request.method === "POST" && origin !== undefined && !origins().includes(origin)) {
        return yield* refuse(403, `POST ${path}: sent from another site (${origin})`)
      }
      if (request.method === "GET" && path === "/") {
        state.pageLoads++
        return HttpServerResponse.html(
          page({
            developerToken: Redacted.value(options.developerToken),
            nonce,
            musicKitUrl: options.musicKitUrl,
            credentialsPath: options.credentialsPath,
            version: options.version
          })
        ).pipe(HttpServerResponse.setHeaders(headers))
      }
      if (request.method === "POST" && path === "/token") {
        const body = yield* readJson(request)
        if (body.nonce === undefined) return yield* refuse(403, "POST /token without the page's nonce")
        if (!sameSecret(expected, body.nonce)) return yield* refuse(403, "POST /token with a wrong nonce")
        if (state.used) return yield* refuse(403, "POST /token after a token was already accepted")
        const token = body.musicUserToken
        if (typeof token !== "string" || token.length === 0 || token.length > maxTokenLength || /\s/.test(token)) {
          return yield* refuse(400, "POST /token without a usable musicUserToken")
        }
        state.used = true
        const response = NodeHttpServerRequest.toServerResponse(request)
        response.once("finish", () => Deferred.unsafeDone(outcome, Exit.succeed(Redacted.make(token))))
        return answer(200, { stored: true }).pipe(HttpServerResponse.setHeader("connection", "close"))
      }
      if (request.method === "POST" && path === "/closed") {
        const body = yield* readJson(request)
        if (!sameSecret(expected, body.nonce)) return yield* refuse(403, "POST /closed without the page's nonce")
        if (!state.used) {
          const loads = state.pageLoads
          yield* Effect.sleep(closedGrace).pipe(
            Effect.zipRight(Effect.suspend(() =>
              state.pageLoads === loads && !state.used
                ? Deferred.fail(
                  outcome,
                  new LoginFailed({ reason: "the sign-in page was closed before Apple signed you in" })
                )
                : Effect.void
            )),
            Effect.forkIn(scope)
          )
          yield* Effect.yieldNow() // the grace timer starts before the page hears back
        }
        return HttpServerResponse.empty({ status: 204, headers })
      }
      return HttpServerResponse.empty({ status: 404, headers })
    })

    const nodeServer = Http.createServer()
    const server = yield* NodeHttpServer.make(() => nodeServer, { port: options.port, host: "127.0.0.1" })
    yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
    state.port = server.address._tag === "TcpAddress" ? server.address.port : 0
    yield* server.serve(handler)
    yield* options.onListening(`http://127.0.0.1:${state.port}/`)
    return yield* Deferred.await(outcome).pipe(
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
