import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Option, Redacted, TestClock } from "effect"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Path from "node:path"
import { closedGrace, receiveToken } from "../src/internal/login.js"
import { cleanEnv, run } from "./cli.js"
import { credentialsOf, developerToken, nonceOf, post, startLogin } from "./login.js"

describe("unrate login", () => {
  it.scopedLive("refuses a POST without the nonce, with a wrong nonce, and any POST after the first token", () =>
    Effect.gen(function*() {
      const env = cleanEnv({ APPLE_MUSIC_DEVELOPER_TOKEN: developerToken })
      const login = yield* startLogin(env)
      const nonce = yield* nonceOf(login.url)
      const token = new URL("token", login.url).href
      assert.strictEqual(yield* post(token, { musicUserToken: "token-without-nonce" }), 403)
      assert.strictEqual(yield* post(token, { nonce: `${nonce}x`, musicUserToken: "token-with-wrong-nonce" }), 403)
      assert.strictEqual(yield* post(token, { nonce: nonce.slice(1), musicUserToken: "token-with-short-nonce" }), 403)
      assert.strictEqual(yield* post(token, { nonce, musicUserToken: "the-first-token" }), 200)
      const second = yield* post(token, { nonce, musicUserToken: "a-second-token" })
      assert.include([403, "refused"], second)

      const result = yield* login.result
      assert.strictEqual(result.code, 0, result.stderr)
      assert.deepStrictEqual(JSON.parse(Fs.readFileSync(credentialsOf(env), "utf8")), {
        musicUserToken: "the-first-token"
      })
      assert.include(result.stderr, "refused: POST /token without the page's nonce")
      assert.include(result.stderr, "refused: POST /token with a wrong nonce")
      for (const secret of ["token-without-nonce", "token-with-wrong-nonce", "the-first-token", developerToken]) {
        assert.notInclude(result.stdout + result.stderr, secret)
      }
    }))

  it.scopedLive("refuses requests that name another host, and a missing developer token is a usage error", () =>
    Effect.gen(function*() {
      const missing = yield* run(["login", "--no-open"], { env: cleanEnv() })
      assert.strictEqual(missing.code, 2)
      assert.include(missing.stderr, "APPLE_MUSIC_DEVELOPER_TOKEN")

      const badScript = yield* run(["login", "--no-open"], {
        env: cleanEnv({ APPLE_MUSIC_DEVELOPER_TOKEN: developerToken, UNRATE_MUSICKIT_URL: "http://example.com/mk.js" })
      })
      assert.strictEqual(badScript.code, 2)
      assert.include(badScript.stderr, "UNRATE_MUSICKIT_URL must be an https:// URL")

      const env = cleanEnv({ APPLE_MUSIC_DEVELOPER_TOKEN: developerToken })
      const login = yield* startLogin(env)
      const port = new URL(login.url).port
      const rebound = yield* Effect.promise(() =>
        new Promise<number>((resolve) =>
          Http.get(
            { host: "127.0.0.1", port, path: "/", headers: { host: `attacker.example:${port}` } },
            (response) => {
              response.resume()
              resolve(response.statusCode ?? 0)
            }
          )
        )
      )
      assert.strictEqual(rebound, 403)
      const nonce = yield* nonceOf(login.url)
      assert.strictEqual(yield* post(new URL("token", login.url).href, { nonce, musicUserToken: "t" }), 200)
      assert.strictEqual((yield* login.result).code, 0)
    }))

  it.scopedLive("a page closed before signing in makes the command exit 3 with a message, storing nothing", () =>
    Effect.gen(function*() {
      const env = cleanEnv({ APPLE_MUSIC_DEVELOPER_TOKEN: developerToken })
      const login = yield* startLogin(env)
      const nonce = yield* nonceOf(login.url)
      assert.strictEqual(yield* post(new URL("closed", login.url).href, { nonce }), 204)
      const result = yield* login.result
      assert.strictEqual(result.code, 3, result.stderr)
      assert.include(result.stderr, "the sign-in page was closed before Apple signed you in")
      assert.isFalse(Fs.existsSync(credentialsOf(env)))
    }))

  it.scoped("gives up when the page is closed and not reopened, or after the timeout", () =>
    Effect.gen(function*() {
      const listening = yield* Deferred.make<string>()
      const options = {
        port: 0,
        developerToken: Redacted.make(developerToken),
        musicKitUrl: "http://127.0.0.1:9/musickit.js",
        credentialsPath: "/nowhere/credentials.json",
        version: "test",
        timeout: Duration.minutes(5),
        onListening: (url: string) => Deferred.succeed(listening, url),
        onRefused: () => Effect.void
      }
      const closed = yield* Effect.fork(receiveToken(options))
      const url = yield* Deferred.await(listening)
      const nonce = yield* nonceOf(url)
      assert.strictEqual(yield* post(new URL("closed", url).href, { nonce: "wrong" }), 403)
      assert.strictEqual(yield* post(new URL("closed", url).href, { nonce }), 204)
      yield* nonceOf(url) // a reload within the grace period keeps the login going
      yield* TestClock.adjust(closedGrace)
      assert.isTrue(Option.isNone(yield* Fiber.poll(closed)))
      assert.strictEqual(yield* post(new URL("closed", url).href, { nonce }), 204)
      yield* TestClock.adjust(closedGrace)
      const exit = yield* Fiber.await(closed)
      assert.deepStrictEqual(
        Exit.mapError(exit, (error) => error.message),
        Exit.fail("the sign-in page was closed before Apple signed you in")
      )

      const again = yield* Deferred.make<string>()
      const timedOut = yield* Effect.fork(receiveToken({ ...options, onListening: (u) => Deferred.succeed(again, u) }))
      yield* Deferred.await(again)
      yield* TestClock.adjust(Duration.minutes(5))
      const timeout = yield* Fiber.await(timedOut)
      assert.isTrue(Exit.isFailure(timeout))
      assert.include(String(Exit.isFailure(timeout) ? timeout.cause : ""), "nobody signed in within 5m")
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("unrate logout", () => {
  it.scopedLive("deletes the credentials file; a second logout finds nothing", () =>
    Effect.gen(function*() {
      const env = cleanEnv()
      const file = credentialsOf(env)
      Fs.mkdirSync(Path.dirname(file), { recursive: true })
      Fs.writeFileSync(file, JSON.stringify({ musicUserToken: "to-be-deleted" }), { mode: 0o600 })
      const first = yield* run(["logout"], { env })
      assert.strictEqual(first.code, 0, first.stderr)
      assert.include(first.stdout, `Deleted ${file}`)
      assert.isFalse(Fs.existsSync(file))
      const second = yield* run(["logout"], { env: { ...env, APPLE_MUSIC_USER_TOKEN: "still-set" } })
      assert.strictEqual(second.code, 0)
      assert.include(second.stdout, "No credentials file to delete")
      assert.include(second.stderr, "APPLE_MUSIC_USER_TOKEN is still set")
      assert.notInclude(second.stderr, "still-set")
    }))
})
