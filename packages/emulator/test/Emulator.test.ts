import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@unrate/emulator"
import { Effect, Exit, Scope, TestClock } from "effect"
import * as Jose from "jose"

interface Answer {
  readonly status: number
  readonly body: any
  readonly headers: Headers
}

const call = (
  emulator: Emulator.Emulator,
  method: string,
  path: string,
  options: { readonly body?: unknown; readonly developer?: string | null; readonly user?: string | null } = {}
): Effect.Effect<Answer> =>
  Effect.promise(async () => {
    const headers: Record<string, string> = {}
    const developer = options.developer === undefined ? emulator.developerToken : options.developer
    const user = options.user === undefined ? emulator.userToken : options.user
    if (developer !== null) headers.authorization = `Bearer ${developer}`
    if (user !== null) headers["music-user-token"] = user
    if (options.body !== undefined) headers["content-type"] = "application/json"
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
    })
    const text = await response.text()
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text), headers: response.headers }
  })

const fetchFails = (url: string) => Effect.promise(() => fetch(url).then(() => false, () => true))

describe("Emulator", () => {
  it.scoped("answers the ratings endpoints like Apple", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      yield* emulator.store.seed([["library-songs", "i.a", -1], ["library-songs", "i.b", 1]])
      const one = yield* call(emulator, "GET", "/v1/me/ratings/library-songs/i.a")
      assert.strictEqual(one.status, 200)
      assert.deepStrictEqual(one.body.data[0].attributes, { value: -1 })
      assert.strictEqual(one.body.data[0].type, "ratings")
      const many = yield* call(emulator, "GET", "/v1/me/ratings/library-songs?ids=i.a,i.b,i.c&l=en-GB")
      assert.deepStrictEqual(many.body.data.map((rating: any) => rating.id), ["i.a", "i.b"])
      const put = yield* call(emulator, "PUT", "/v1/me/ratings/songs/907242702", {
        body: { type: "rating", attributes: { value: 1 } }
      })
      assert.strictEqual(put.status, 200)
      assert.strictEqual(yield* emulator.store.lookup("songs", "907242702"), 1)
      const deleted = yield* call(emulator, "DELETE", "/v1/me/ratings/library-songs/i.a")
      assert.strictEqual(deleted.status, 204)
      assert.isUndefined(deleted.body)
      const missing = yield* call(emulator, "DELETE", "/v1/me/ratings/library-songs/i.a")
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(missing.body.errors[0].status, "404")
    }))

  it.scoped("refuses bad input with Apple's error bodies", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ library: [{ kind: "library-songs", size: 10 }] })
      const kind = yield* call(emulator, "GET", "/v1/me/ratings/artists/1")
      assert.strictEqual(kind.status, 400)
      assert.strictEqual(kind.body.errors[0].code, "40008")
      for (const limit of ["0", "101", "200", "x"]) {
        const page = yield* call(emulator, "GET", `/v1/me/library/songs?limit=${limit}`)
        assert.strictEqual(page.status, 400)
        assert.strictEqual(page.body.errors[0].code, "40005")
        assert.strictEqual(page.body.errors[0].source.parameter, "limit")
      }
      for (const value of [0, 2, "1", null]) {
        const put = yield* call(emulator, "PUT", "/v1/me/ratings/songs/1", {
          body: { type: "rating", attributes: { value } }
        })
        assert.strictEqual(put.status, 400)
      }
      const noIds = yield* call(emulator, "GET", "/v1/me/ratings/songs")
      assert.strictEqual(noIds.status, 400)
    }))

  it.scoped("checks the developer token (401) and the user token (403, 40300)", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const none = yield* call(emulator, "GET", "/v1/me/ratings/songs/1", { developer: null })
      assert.strictEqual(none.status, 401)
      const wrong = yield* call(emulator, "GET", "/v1/me/ratings/songs/1", { developer: "nope" })
      assert.strictEqual(wrong.status, 401)
      const user = yield* call(emulator, "GET", "/v1/me/ratings/songs/1", { user: "nope" })
      assert.strictEqual(user.status, 403)
      assert.strictEqual(user.body.errors[0].code, "40300")
      assert.strictEqual(user.body.errors[0].title, "Invalid authentication")
      const noUser = yield* call(emulator, "GET", "/v1/me/ratings/songs/1", { user: null })
      assert.strictEqual(noUser.status, 403)
    }))

  it.scopedLive("verifies ES256 developer tokens: signature, kid, iss, exp and lifetime", () =>
    Effect.gen(function*() {
      const pair = yield* Effect.promise(() => Jose.generateKeyPair("ES256", { extractable: true }))
      const other = yield* Effect.promise(() => Jose.generateKeyPair("ES256"))
      const publicKey = yield* Effect.promise(() => Jose.exportSPKI(pair.publicKey))
      const emulator = yield* Emulator.make({ jwt: { publicKey, keyId: "KEY1234567", teamId: "TEAM123456" } })
      const now = Math.floor(Date.now() / 1000)
      const sign = (options: { key?: CryptoKey; kid?: string; iss?: string; iat?: number; exp?: number }) =>
        Effect.promise(() =>
          new Jose.SignJWT({})
            .setProtectedHeader({ alg: "ES256", kid: options.kid ?? "KEY1234567" })
            .setIssuer(options.iss ?? "TEAM123456")
            .setIssuedAt(options.iat ?? now)
            .setExpirationTime(options.exp ?? now + 3600)
            .sign(options.key ?? pair.privateKey)
        )
      const status = (token: string) =>
        Effect.map(call(emulator, "GET", "/v1/me/ratings/songs/1", { developer: token }), (answer) => answer.status)
      assert.strictEqual(yield* status(yield* sign({})), 404)
      assert.strictEqual(yield* status(yield* sign({ key: other.privateKey })), 401)
      assert.strictEqual(yield* status(yield* sign({ kid: "OTHERKEY00" })), 401)
      assert.strictEqual(yield* status(yield* sign({ iss: "OTHERTEAM0" })), 401)
      assert.strictEqual(yield* status(yield* sign({ iat: now - 7200, exp: now - 3600 })), 401)
      assert.strictEqual(yield* status(yield* sign({ exp: now + 15_777_001 })), 401)
      assert.strictEqual(yield* status(yield* sign({ exp: now + 15_777_000 })), 404)
    }))

  it.scoped("pages a library with limit, offset and next", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({
        library: [{ kind: "library-songs", size: 250, likes: 0.1, dislikes: 0.2 }]
      })
      const seen: Array<string> = []
      let path: string | undefined = "/v1/me/library/songs?limit=100"
      while (path !== undefined) {
        const page: Answer = yield* call(emulator, "GET", path)
        assert.strictEqual(page.status, 200)
        seen.push(...page.body.data.map((item: any) => item.id))
        path = page.body.next === undefined ? undefined : `${page.body.next}&limit=100`
      }
      assert.strictEqual(seen.length, 250)
      assert.strictEqual(new Set(seen).size, 250)
      const defaults = yield* call(emulator, "GET", "/v1/me/library/songs")
      assert.strictEqual(defaults.body.data.length, 25)
      assert.strictEqual(defaults.body.next, "/v1/me/library/songs?offset=25")
      const ratings = yield* emulator.store.ratings
      assert.strictEqual(ratings.filter((rating) => rating.value === 1).length, 25)
      assert.strictEqual(ratings.filter((rating) => rating.value === -1).length, 50)
    }))

  it.scoped("can answer 204 when deleting a rating that does not exist", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ deleteMissing: 204 })
      const answer = yield* call(emulator, "DELETE", "/v1/me/ratings/library-songs/i.none")
      assert.strictEqual(answer.status, 204)
    }))

  it.scoped("limits requests per second per developer token, with or without Retry-After", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { rateLimit: 3 } })
      const statuses: Array<number> = []
      for (let i = 0; i < 5; i++) {
        const answer = yield* call(emulator, "GET", "/v1/me/ratings/songs/1")
        statuses.push(answer.status)
        if (answer.status === 429) assert.isNull(answer.headers.get("retry-after"))
      }
      assert.deepStrictEqual(statuses, [404, 404, 404, 429, 429])
      yield* emulator.setFaults({ rateLimit: 1, retryAfter: true })
      yield* call(emulator, "GET", "/v1/me/ratings/songs/1")
      const limited = yield* call(emulator, "GET", "/v1/me/ratings/songs/1")
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers.get("retry-after"), "1")
    }))

  it.scoped("one rate limit for the whole team: every user token, every developer token of the team", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.now())
      const pair = yield* Effect.promise(() => Jose.generateKeyPair("ES256", { extractable: true }))
      const publicKey = yield* Effect.promise(() => Jose.exportSPKI(pair.publicKey))
      const emulator = yield* Emulator.make({
        jwt: { publicKey, keyId: "KEY1234567", teamId: "TEAM123456" },
        userTokens: ["second-user", "third-user"],
        faults: { rateLimit: 4 }
      })
      const now = Math.floor(Date.now() / 1000)
      // two developer tokens of the same team, signed a second apart
      const tokens = yield* Effect.forEach(
        [now, now - 1],
        (iat) =>
          Effect.promise(() =>
            new Jose.SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "KEY1234567" }).setIssuer("TEAM123456")
              .setIssuedAt(iat).setExpirationTime(iat + 3600).sign(pair.privateKey)
          )
      )
      const users = [emulator.userToken, "second-user", "third-user"]
      const statuses: Array<number> = []
      for (let i = 0; i < 6; i++) {
        const answer = yield* call(emulator, "GET", "/v1/me/ratings/songs/1", {
          developer: tokens[i % 2]!,
          user: users[i % 3]!
        })
        statuses.push(answer.status)
      }
      assert.deepStrictEqual(statuses, [404, 404, 404, 404, 429, 429])
      const stranger = yield* call(emulator, "GET", "/v1/me/ratings/songs/1", { developer: tokens[0]!, user: "nobody" })
      assert.strictEqual(stranger.status, 403)
    }))

  it.scoped("changes its rate limit while running, keeping the other faults", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { rateLimit: 2, retryAfter: true } })
      const status = Effect.map(call(emulator, "GET", "/v1/me/ratings/songs/1"), (answer) => answer)
      const first = yield* Effect.forEach([1, 2, 3], () => status)
      assert.deepStrictEqual(first.map((a) => a.status), [404, 404, 429])
      // the same window: a higher limit lets two more through at once
      yield* emulator.setRateLimit(5)
      const more = yield* Effect.forEach([1, 2, 3], () => status)
      assert.deepStrictEqual(more.map((a) => a.status), [404, 404, 429])
      assert.strictEqual(more[2]!.headers.get("retry-after"), "1", "Retry-After is still on")
      yield* emulator.setRateLimit(undefined)
      const free = yield* Effect.forEach([1, 2, 3], () => status)
      assert.deepStrictEqual(free.map((a) => a.status), [404, 404, 404])
    }))

  it.scoped("injects errors from a seed, the same for the same seed", () =>
    Effect.gen(function*() {
      const run = (seed: number) =>
        Effect.scoped(Effect.gen(function*() {
          const emulator = yield* Emulator.make({ seed, faults: { error500: 0.2, error503: 0.2 } })
          const statuses: Array<number> = []
          for (let i = 0; i < 40; i++) statuses.push((yield* call(emulator, "GET", "/v1/me/ratings/songs/1")).status)
          return statuses
        }))
      const first = yield* run(7)
      assert.deepStrictEqual(yield* run(7), first)
      assert.isTrue(first.includes(500) && first.includes(503) && first.includes(404))
    }))

  it.scoped("resets connections and expires the user token on request", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { resetRate: 1 } })
      assert.isTrue(yield* fetchFails(`${emulator.url}/v1/me/ratings/songs/1`))
      yield* emulator.setFaults({ userTokenExpiresAfter: 2 })
      const statuses: Array<number> = []
      for (let i = 0; i < 4; i++) statuses.push((yield* call(emulator, "GET", "/v1/me/ratings/songs/1")).status)
      assert.deepStrictEqual(statuses, [404, 404, 403, 403])
    }))

  it.scoped("dropAfterCommit carries out a DELETE or PUT, then drops the connection without an answer", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { dropAfterCommit: 1 } })
      yield* emulator.store.seed([["library-songs", "i.a", -1]])
      const send = (method: string, body?: unknown) =>
        Effect.promise(() =>
          fetch(`${emulator.url}/v1/me/ratings/library-songs/i.a`, {
            method,
            headers: {
              authorization: `Bearer ${emulator.developerToken}`,
              "music-user-token": emulator.userToken,
              ...(body === undefined ? {} : { "content-type": "application/json" })
            },
            ...(body === undefined ? {} : { body: JSON.stringify(body) })
          }).then(() => false, () => true)
        )
      assert.isTrue(yield* send("DELETE"), "the DELETE was answered")
      assert.strictEqual(yield* emulator.store.count(), 0)
      assert.isTrue(yield* send("PUT", { type: "rating", attributes: { value: 1 } }), "the PUT was answered")
      assert.deepStrictEqual((yield* emulator.store.ratings).map((rating) => rating.value), [1])
      // a refused request is answered: nothing was committed
      assert.strictEqual((yield* call(emulator, "DELETE", "/v1/me/ratings/library-songs/i.none")).status, 404)
      const log = yield* emulator.requestLog
      assert.deepStrictEqual(log.map((entry) => [entry.method, entry.status, entry.dropped ?? false]), [
        ["DELETE", 204, true],
        ["PUT", 200, true],
        ["DELETE", 404, false]
      ])
    }))

  it.scoped("keeps the admin surface closed unless enabled", () =>
    Effect.gen(function*() {
      const closed = yield* Emulator.make()
      assert.strictEqual((yield* call(closed, "GET", "/__admin/state")).status, 404)
      const open = yield* Emulator.make({ admin: true })
      yield* call(open, "DELETE", "/v1/me/ratings/songs/1")
      const seeded = yield* call(open, "POST", "/__admin/seed", {
        body: { kind: "library-songs", size: 20, dislikes: 0.5 }
      })
      assert.strictEqual(seeded.body.dislikes.length, 10)
      const state = yield* call(open, "GET", "/__admin/state")
      assert.strictEqual(state.body.ratings.length, 10)
      const log = yield* call(open, "GET", "/__admin/log")
      assert.deepStrictEqual(log.body.log.map((entry: any) => [entry.method, entry.path, entry.status]), [
        ["DELETE", "/v1/me/ratings/songs/1", 404]
      ])
      assert.notInclude(JSON.stringify(log.body), open.userToken)
      assert.notInclude(JSON.stringify(log.body), open.developerToken)
      yield* call(open, "POST", "/__admin/faults", { body: { error503: 1 } })
      assert.strictEqual((yield* call(open, "GET", "/v1/me/ratings/songs/1")).status, 503)
      yield* call(open, "POST", "/__admin/reset")
      assert.strictEqual((yield* call(open, "GET", "/__admin/state")).body.ratings.length, 0)
      assert.strictEqual((yield* call(open, "GET", "/v1/me/ratings/songs/1")).status, 404)
    }))

  it.effect("listens on 127.0.0.1 and stops when its scope closes, even with open connections", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const emulator = yield* Scope.extend(Emulator.make(), scope)
      assert.match(emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.notStrictEqual(emulator.port, 0)
      yield* call(emulator, "GET", "/v1/me/ratings/songs/1")
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(yield* fetchFails(`${emulator.url}/v1/me/ratings/songs/1`))
    }))
})
