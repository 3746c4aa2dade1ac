import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Option, Redacted, TestClock } from "effect"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Net from "node:net"
import * as Path from "node:path"
import { closedGrace, defaultMusicKitUrl, maxBodyLength, maxConnections, receiveToken } from "../src/internal/login.js"
import { pagePolicy } from "../src/internal/loginPage.js"
import { cleanEnv, run } from "./cli.js"
import { credentialsOf, developerToken, nonceOf, post, startLogin } from "./login.js"

/** Starts the login server in this process; `token` completes with what it accepted. */
const startInProcess = Effect.gen(function*() {
  const listening = yield* Deferred.make<string>()
  const refused: Array<string> = []
  const token = yield* Effect.forkScoped(receiveToken({
    port: 0,
    developerToken: Redacted.make(developerToken),
    musicKitUrl: "http://127.0.0.1:9/musickit.js",
    credentialsPath: "/nowhere/credentials.json",
    version: "test",
    timeout: Duration.minutes(5),
    onListening: (url: string) => Deferred.succeed(listening, url),
    onRefused: (reason) => Effect.sync(() => void refused.push(reason))
  }))
  const url = yield* Deferred.await(listening)
  return { url, port: Number(new URL(url).port), refused, token: Fiber.join(token) }
})

/**
 * Sends a POST's headers, then up to `total` bytes of body as fast as the socket takes them, and
 * resolves with the answer's status line and how much of the body had gone out when it arrived.
 */
const slowPost = (port: number, headers: Record<string, string>, total: number) =>
  Effect.async<{ readonly status: string; readonly sentWhenAnswered: number }>((resume) => {
    const socket = Net.connect(port, "127.0.0.1")
    const data = Buffer.alloc(65536, "a")
    const chunk = headers["transfer-encoding"] === "chunked"
      ? Buffer.concat([Buffer.from("10000\r\n"), data, Buffer.from("\r\n")])
      : data
    let sent = 0
    let answered = false
    const head = Object.entries({ host: `127.0.0.1:${port}`, ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join("")
    socket.write(`POST /token HTTP/1.1\r\n${head}\r\n`)
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length
        if (!socket.write(chunk)) return void socket.once("drain", pump)
      }
    }
    socket.on("data", (data) => {
      if (answered) return
      answered = true
      resume(Effect.succeed({ status: data.toString("latin1").split("\r\n")[0]!, sentWhenAnswered: sent }))
      socket.destroy()
    })
    socket.on("error", () => undefined)
    socket.on("close", () => {
      if (!answered) resume(Effect.succeed({ status: "closed", sentWhenAnswered: sent }))
    })
    pump()
  })

/** A keep-alive connection that has been served the page once, so the server counts it. */
const heldConnection = (port: number) =>
  Effect.async<Net.Socket>((resume) => {
    const socket = Net.connect(port, "127.0.0.1", () =>
      socket.write(`GET / HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: keep-alive\r\n\r\n`))
    socket.once("data", () =>
      resume(Effect.succeed(socket)))
  })

/** Whether a new connection is served: "served" with an answer, "closed" when the server drops it unanswered. */
const tryConnection = (port: number) =>
  Effect.async<"served" | "closed">((resume) => {
    const socket = Net.connect(port, "127.0.0.1", () =>
      socket.write(`GET / HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: close\r\n\r\n`))
    let answer: "served" | "closed" = "closed"
    socket.on("data", () => (answer = "served"))
    socket.on("error", () =>
      undefined)
    socket.on("close", () =>
      resume(Effect.succeed(answer)))
  })

describe("unrate login", () => {
  it.scopedLive("refuses a POST without the nonce, with a wrong nonce, and any POST after the first token", () =>
    Effect.gen(function*() {
      const env = cleanEnv({ APPLE_MUSIC_DEVELOPER_TOKEN: developerToken })
      const login = yield* startLogin(env)
      const nonce = yield* nonceOf(login.url)
      const token = new URL("token", login.url).href
      assert.strictEqual(yield* post(token, { musicUserToken: "token-without-nonce" }), 403)
      assert.strictEqual(yield* post(token, { musicUserToken: "token-with-wrong-nonce" }, `${nonce}x`), 403)
      assert.strictEqual(yield* post(token, { musicUserToken: "token-with-short-nonce" }, nonce.slice(1)), 403)
      assert.strictEqual(yield* post(token, { musicUserToken: "the-first-token" }, nonce), 200)

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
      assert.strictEqual(yield* post(new URL("token", login.url).href, { musicUserToken: "t" }, nonce), 200)
      assert.strictEqual((yield* login.result).code, 0)
    }))

  it.scopedLive("a page closed before signing in makes the command exit 3 with a message, storing nothing", () =>
    Effect.gen(function*() {
      const env = cleanEnv({ APPLE_MUSIC_DEVELOPER_TOKEN: developerToken })
      const login = yield* startLogin(env)
      const nonce = yield* nonceOf(login.url)
      assert.strictEqual(yield* post(new URL("closed", login.url).href, {}, nonce), 204)
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
      assert.strictEqual(yield* post(new URL("closed", url).href, {}, "wrong"), 403)
      assert.strictEqual(yield* post(new URL("closed", url).href, {}, nonce), 204)
      yield* nonceOf(url) // a reload within the grace period keeps the login going
      yield* TestClock.adjust(closedGrace)
      assert.isTrue(Option.isNone(yield* Fiber.poll(closed)))
      assert.strictEqual(yield* post(new URL("closed", url).href, {}, nonce), 204)
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

  it.scopedLive("a body over the cap is answered 413 unread, and a good POST still works afterwards", () =>
    Effect.gen(function*() {
      const login = yield* startInProcess
      const nonce = yield* nonceOf(login.url)
      const token = new URL("token", login.url).href
      const large = { musicUserToken: "t".repeat(maxBodyLength) }
      assert.strictEqual(yield* post(token, large, nonce), 413)
      const chunked = yield* slowPost(login.port, { "transfer-encoding": "chunked", "x-unrate-nonce": nonce }, 64 << 20)
      assert.strictEqual(chunked.status, "HTTP/1.1 413 Payload Too Large")
      assert.isBelow(chunked.sentWhenAnswered, 16 << 20)
      assert.strictEqual(yield* post(token, { musicUserToken: "good-token" }, nonce), 200)
      assert.strictEqual(Redacted.value(yield* login.token), "good-token")
      assert.deepStrictEqual(login.refused, [
        `POST /token with a body over ${maxBodyLength} bytes`,
        `POST /token with a body over ${maxBodyLength} bytes`
      ])
    }))

  it.scopedLive("a POST without the nonce header is refused before its 50 MB body is read", () =>
    Effect.gen(function*() {
      const login = yield* startInProcess
      const total = 50 << 20
      for (const headers of [{}, { "x-unrate-nonce": "wrong" }]) {
        const answer = yield* slowPost(login.port, { "content-length": String(total), ...headers }, total)
        assert.strictEqual(answer.status, "HTTP/1.1 403 Forbidden")
        assert.isBelow(answer.sentWhenAnswered, total / 4, "answered long before the body was sent")
      }
      assert.deepStrictEqual(login.refused, ["POST /token without the page's nonce", "POST /token with a wrong nonce"])
      const nonce = yield* nonceOf(login.url)
      assert.strictEqual(yield* post(new URL("token", login.url).href, { musicUserToken: "still-works" }, nonce), 200)
      assert.strictEqual(Redacted.value(yield* login.token), "still-works")
    }))

  it.scopedLive("connections beyond the cap are closed at once; the page is served again when one goes", () =>
    Effect.gen(function*() {
      const login = yield* startInProcess
      const held = yield* Effect.forEach(Array.from({ length: maxConnections }), () => heldConnection(login.port))
      yield* Effect.addFinalizer(() => Effect.sync(() => held.forEach((socket) => socket.destroy())))
      assert.strictEqual(yield* tryConnection(login.port), "closed")
      assert.strictEqual(yield* tryConnection(login.port), "closed")
      held.pop()!.destroy()
      let answer: "served" | "closed" = "closed"
      for (let attempt = 0; attempt < 200 && answer === "closed"; attempt++) answer = yield* tryConnection(login.port)
      assert.strictEqual(answer, "served")
    }))

  it.scopedLive("every answer carries a Content-Security-Policy; the page's allows only itself and MusicKit", () =>
    Effect.gen(function*() {
      const login = yield* startInProcess
      const page = yield* Effect.promise(() => fetch(login.url))
      const html = yield* Effect.promise(() => page.text())
      const cspNonce = /<script nonce="([^"]+)">/.exec(html)![1]!
      assert.strictEqual(
        page.headers.get("content-security-policy"),
        `default-src 'none'; script-src 'nonce-${cspNonce}' http://127.0.0.1:9; style-src 'nonce-${cspNonce}'; ` +
          "connect-src 'self' http://127.0.0.1:9; img-src 'self' http://127.0.0.1:9; frame-src http://127.0.0.1:9; " +
          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
      )
      assert.match(cspNonce, /^[A-Za-z0-9+/]{24}$/)
      const tags = html.match(/<(script|style)\b[^>]*>/g)!
      assert.lengthOf(tags, 3)
      for (const tag of tags) assert.include(tag, `nonce="${cspNonce}"`)
      assert.notMatch(html, /<[^>]+\son\w+=/) // no inline event handlers
      for (const path of ["token", "closed", "nowhere"]) {
        const response = yield* Effect.promise(() => fetch(new URL(path, login.url), { method: "POST" }))
        assert.strictEqual(
          response.headers.get("content-security-policy"),
          "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
      }
      assert.strictEqual(
        pagePolicy(defaultMusicKitUrl, "N"),
        "default-src 'none'; script-src 'nonce-N' https://js-cdn.music.apple.com; style-src 'nonce-N'; " +
          "connect-src 'self' https://js-cdn.music.apple.com https://*.music.apple.com; " +
          "img-src 'self' https://js-cdn.music.apple.com https://*.music.apple.com; " +
          "frame-src https://js-cdn.music.apple.com https://*.music.apple.com; " +
          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
      )
    }))
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
