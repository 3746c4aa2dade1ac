import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import { cleanEnv, run } from "./cli.js"

const developerToken = `eyJhbGciOiJFUzI1NiJ9.${Crypto.randomBytes(90).toString("base64url")}`
const userToken = Crypto.randomBytes(120).toString("base64")

/** Answers every request with the status named by the id, echoing the request's tokens inside terminal escapes. */
const hostileServer = Effect.acquireRelease(
  Effect.async<Http.Server>((resume) => {
    const server = Http.createServer((request, response) => {
      const status = Number(/i\.(\d{3})/.exec(request.url ?? "")?.[1] ?? 500)
      const bearer = String(request.headers.authorization ?? "").replace(/^Bearer /, "")
      const user = String(request.headers["music-user-token"] ?? "")
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({
        errors: [{
          code: `${status}00`,
          title: `\u001b[2J\u001b]0;title\u0007\u001b[31mYour token is ${bearer}`,
          detail: `${"x".repeat(5000)}\n${user}\u001b[0m`
        }]
      }))
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
  }),
  (server) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as { port: number }).port}`))

describe("unrate against a hostile server", () => {
  it.scopedLive("prints no escape sequence and no token, with and without --json", () =>
    Effect.gen(function*() {
      const baseUrl = yield* hostileServer
      const env = cleanEnv({
        APPLE_MUSIC_BASE_URL: baseUrl,
        APPLE_MUSIC_DEVELOPER_TOKEN: developerToken,
        APPLE_MUSIC_USER_TOKEN: userToken
      })
      for (const [status, code] of [[400, 1], [403, 3]] as const) {
        for (const json of [[], ["--json"]]) {
          // --no-journal: the hostile answer comes to the DELETE itself, not to a lookup before it.
          const result = yield* run(["delete", "library-songs", `i.${status}`, "--no-journal", ...json], { env })
          const output = result.stdout + result.stderr
          assert.strictEqual(result.code, code, output)
          assert.include(output, "Your token is <redacted>")
          assert.notInclude(output, "\u001b")
          assert.notInclude(output, "\u0007")
          assert.notInclude(output, "x".repeat(400))
          for (const token of [developerToken, userToken]) {
            assert.notInclude(output, token)
            assert.notInclude(output, token.slice(0, 16))
          }
          if (json.length > 0) assert.include(JSON.parse(result.stdout).failures[0].message, "<redacted>")
        }
      }
    }))
})
