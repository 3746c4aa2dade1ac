import { assert, describe, it } from "@effect/vitest"
import { AppleMusicRatings, RatingsError, RetryPolicy } from "@unrate/core"
import { NodeAppleMusic } from "@unrate/platform"
import { Cause, Effect, Exit, Option, Redacted } from "effect"
import * as Crypto from "node:crypto"
import * as Http from "node:http"

const developerToken = `eyJhbGciOiJFUzI1NiJ9.${Crypto.randomBytes(90).toString("base64url")}`
const userToken = Crypto.randomBytes(120).toString("base64")

const controls = /[\u0000-\u001f\u007f-\u009f]/

/** Echoes the request's own tokens back, wrapped in terminal escapes and 5 KB of text. */
const hostileErrors = (request: Http.IncomingMessage) => {
  const bearer = String(request.headers.authorization ?? "").replace(/^Bearer /, "")
  const user = String(request.headers["music-user-token"] ?? "")
  return {
    errors: [{
      id: `\u001b]0;title\u0007${user}`,
      title: `\u001b[2J\u001b[31mInvalid ${bearer.slice(0, 12)}\u001b${bearer.slice(12)}`,
      detail: `${"A".repeat(5000)}\n${user}`,
      code: "40\u009b0m000",
      status: String(request.headers["x-status"] ?? ""),
      source: { parameter: `${bearer}\r\n${user}` }
    }]
  }
}

type Answer = (request: Http.IncomingMessage, response: Http.ServerResponse) => void

/** A server on 127.0.0.1, port 0, for the test's scope. */
const hostileServer = (answer: Answer) =>
  Effect.acquireRelease(
    Effect.async<Http.Server>((resume) => {
      const server = Http.createServer(answer)
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as { port: number }).port}`))

const failureOf = <A>(
  baseUrl: string,
  effect: Effect.Effect<A, RatingsError.RatingsError, AppleMusicRatings.AppleMusicRatings>
) =>
  effect.pipe(
    Effect.provide(NodeAppleMusic.layer({
      baseUrl,
      developerToken: Redacted.make(developerToken),
      userToken: Redacted.make(userToken),
      retry: RetryPolicy.never,
      rate: Infinity,
      timeout: "10 seconds"
    })),
    Effect.exit,
    Effect.map((exit) => {
      assert.isTrue(Exit.isFailure(exit))
      return Exit.isFailure(exit) ? { error: Option.getOrThrow(Cause.failureOption(exit.cause)), exit } : undefined!
    })
  )

describe("a hostile server", () => {
  it.scopedLive("cannot put control characters, endless text or the request's tokens into an error", () =>
    Effect.gen(function*() {
      const baseUrl = yield* hostileServer((request, response) => {
        const status = Number(request.url?.split("/").at(-1)?.replace("i.", ""))
        request.headers["x-status"] = String(status)
        response.writeHead(status, { "content-type": "application/json" })
        response.end(JSON.stringify(hostileErrors(request)))
      })
      for (const [status, tag] of [[400, "BadRequest"], [403, "Forbidden"], [500, "ServerError"]] as const) {
        const { error, exit } = yield* failureOf(
          baseUrl,
          AppleMusicRatings.deleteRating("library-songs", `i.${status}`)
        )
        assert.strictEqual(error._tag, tag)
        if (!("errors" in error)) return assert.fail("no errors field")
        assert.strictEqual(error.errors.length, 1)
        const entry = error.errors[0]!
        const fields = [entry.id, entry.title, entry.detail, entry.code, entry.status, entry.source?.parameter]
        for (const field of fields) {
          assert.isString(field)
          assert.isAtMost(field!.length, RatingsError.maxServerTextLength)
        }
        assert.strictEqual(entry.status, String(status))
        assert.include(entry.title, "[2J[31mInvalid <redacted>")
        assert.isTrue(entry.detail!.endsWith("…"))
        const pretty = Cause.pretty(exit.cause)
        assert.notMatch(pretty, /[\u001b\u0007\u009b\r]/)
        for (const text of [error.message, JSON.stringify(error), pretty, ...fields.map(String)]) {
          if (text !== pretty) assert.notMatch(text, controls)
          for (const token of [developerToken, userToken]) {
            assert.notInclude(text, token)
            assert.notInclude(text, token.slice(0, 16))
            assert.notInclude(text, token.slice(-16))
          }
        }
      }
    }))

  it.scopedLive("cannot make the client read an endless error body", () =>
    Effect.gen(function*() {
      const sent = { bytes: 0 }
      const limit = 64 * 1024 * 1024
      const baseUrl = yield* hostileServer((_, response) => {
        response.writeHead(500, { "content-type": "application/json" })
        const chunk = Buffer.from(`{"errors":[{"title":"${"\u001b".repeat(65536)}`)
        const write = () => {
          while (!response.destroyed && sent.bytes < limit) {
            sent.bytes += chunk.length
            if (!response.write(chunk)) return void response.once("drain", write)
          }
          response.end()
        }
        write()
      })
      const { error } = yield* failureOf(baseUrl, AppleMusicRatings.deleteRating("library-songs", "i.endless"))
      assert.strictEqual(error._tag, "ServerError")
      assert.isBelow(error.message.length, 400)
      assert.isBelow(sent.bytes, limit / 4, "the client stopped reading early")
    }))
})
