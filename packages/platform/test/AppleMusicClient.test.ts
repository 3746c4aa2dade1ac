import { HttpClient, HttpClientError } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { AppleMusicRatings, RatingKind, RetryPolicy } from "@unrate/core"
import { AppleMusicClient } from "@unrate/platform"
import {
  Cause,
  Chunk,
  Config,
  ConfigError,
  ConfigProvider,
  Effect,
  Exit,
  Fiber,
  Inspectable,
  Layer,
  Option,
  Redacted,
  Stream,
  TestClock
} from "effect"
import { empty, json, mockClient } from "./mockClient.js"
import { sampleIds } from "./sampleIds.js"

const developerToken = "dev-token-SECRET-1234"
const userToken = "user-token-SECRET-5678"

const ids = sampleIds

const ratingBody = (id: string, value: 1 | -1) => ({
  data: [{ id, type: "ratings", attributes: { value } }]
})

const clientLayer = (
  respond: Parameters<typeof mockClient>[0],
  options: Partial<AppleMusicClient.Options> = {}
) => {
  const mock = mockClient(respond)
  const layer = AppleMusicClient.layer({
    developerToken: Redacted.make(developerToken),
    userToken: Redacted.make(userToken),
    retry: RetryPolicy.defaultPolicy,
    rate: Infinity,
    ...options
  }).pipe(Layer.provide(mock.layer))
  return { requests: mock.requests, layer }
}

const expectedHeaders = {
  authorization: `Bearer ${developerToken}`,
  "music-user-token": userToken,
  accept: "application/json"
}

describe("AppleMusicClient", () => {
  for (const kind of RatingKind.all) {
    const id = ids[kind]
    it.effect(`builds delete, get, get many and set for ${kind}`, () => {
      const { layer, requests } = clientLayer((request) =>
        request.method === "DELETE"
          ? empty(204)
          : request.url.includes("ids=")
          ? json({ data: [{ id, type: "ratings", attributes: { value: -1 } }] })
          : json(ratingBody(id, request.method === "PUT" ? 1 : -1))
      )
      return Effect.gen(function*() {
        const options = { language: "en-GB" }
        yield* AppleMusicRatings.deleteRating(kind, id, options)
        const got = yield* AppleMusicRatings.getRating(kind, id, options)
        const many = yield* AppleMusicRatings.getRatings(kind, [id, `${id}x`], options)
        const set = yield* AppleMusicRatings.setRating(kind, id, 1, options)
        assert.deepStrictEqual([got.kind, got.id, got.value], [kind, id, -1])
        assert.deepStrictEqual(many.map((rating) => rating.id), [id])
        assert.strictEqual(set.value, 1)

        const root = `https://api.music.apple.com/v1/me/ratings/${kind}`
        // Raw URLs as sent: the comma between ids goes out percent-encoded (`%2C`), as URLSearchParams writes it.
        assert.deepStrictEqual(requests.map((request) => [request.method, request.url]), [
          ["DELETE", `${root}/${id}?l=en-GB`],
          ["GET", `${root}/${id}?l=en-GB`],
          ["GET", `${root}?ids=${id}%2C${id}x&l=en-GB`],
          ["PUT", `${root}/${id}?l=en-GB`]
        ])
        for (const request of requests) {
          for (const [name, value] of Object.entries(expectedHeaders)) assert.strictEqual(request.headers[name], value)
        }
        assert.deepStrictEqual(JSON.parse(requests[3]!.body!), { type: "rating", attributes: { value: 1 } })
        assert.strictEqual(requests[3]!.headers["content-type"], "application/json")
        assert.isUndefined(requests[0]!.body)
      }).pipe(Effect.provide(layer))
    })
  }

  it.effect("sends no language when none is given and puts the base path first", () => {
    const { layer, requests } = clientLayer(() => empty(204), { baseUrl: "http://127.0.0.1:9999/proxy/" })
    return Effect.gen(function*() {
      yield* AppleMusicRatings.deleteRating("library-songs", "i.a")
      assert.strictEqual(requests[0]!.url, "http://127.0.0.1:9999/proxy/v1/me/ratings/library-songs/i.a")
    }).pipe(Effect.provide(layer))
  })

  it.effect("maps each status to its error", () =>
    Effect.gen(function*() {
      const cases: Array<[Response, string]> = [
        [json({ errors: [{ code: "40005", title: "Invalid Parameter Value", status: "400" }] }, 400), "BadRequest"],
        [empty(401), "Unauthorized"],
        [json({ errors: [{ code: "40300", title: "Invalid authentication", status: "403" }] }, 403), "Forbidden"],
        [json({ errors: [{ code: "40400", status: "404" }] }, 404), "NotFound"],
        [empty(429), "RateLimited"],
        [json({ errors: [{ code: "50001", title: "Upstream Service Error" }] }, 500), "ServerError"],
        [new Response("<html>oops</html>", { status: 502 }), "ServerError"],
        [new Response("not json", { status: 200 }), "UnexpectedResponse"],
        [json({ data: [{ id: "x" }] }), "UnexpectedResponse"],
        ["reset" as never, "Transport"]
      ]
      for (const [response, tag] of cases) {
        const { layer } = clientLayer(() => response, { retry: RetryPolicy.never })
        const error = yield* Effect.flip(AppleMusicRatings.getRating("library-songs", "i.a")).pipe(
          Effect.provide(layer)
        )
        assert.strictEqual(error._tag, tag)
      }
    }))

  it.effect("keeps Apple's errors and explains 40300", () => {
    const { layer } = clientLayer(() =>
      json({ errors: [{ id: "Q", code: "40300", title: "Invalid authentication", status: "403", junk: 1 }] }, 403)
    )
    return Effect.gen(function*() {
      const error = yield* Effect.flip(AppleMusicRatings.deleteRating("library-songs", "i.a"))
      assert.strictEqual(error._tag, "Forbidden")
      if (error._tag !== "Forbidden") return
      assert.strictEqual(error.status, 403)
      assert.strictEqual(error.errors[0]!.code, "40300")
      assert.include(error.message, "code 40300")
      assert.include(error.message, "Re-authorize")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a 500 then a 204 succeeds after a retry", () => {
    const { layer, requests } = clientLayer((_, index) => index === 0 ? empty(500) : empty(204))
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(AppleMusicRatings.deleteRating("library-songs", "i.a"))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(requests.length, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a connection reset is retried as Transport", () => {
    const { layer, requests } = clientLayer((_, index) => index === 0 ? "reset" : empty(204))
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(AppleMusicRatings.deleteRating("library-songs", "i.a"))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(requests.length, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("401 and 403 are never retried", () =>
    Effect.gen(function*() {
      for (const status of [401, 403]) {
        const { layer, requests } = clientLayer(() => empty(status))
        const error = yield* Effect.flip(AppleMusicRatings.deleteRating("library-songs", "i.a")).pipe(
          Effect.provide(layer)
        )
        assert.strictEqual(error._tag, status === 401 ? "Unauthorized" : "Forbidden")
        assert.strictEqual(requests.length, 1)
      }
    }))

  it.effect("a 429 with Retry-After: 2 waits at least 2 s", () => {
    const { layer, requests } = clientLayer((_, index) => index === 0 ? empty(429, { "retry-after": "2" }) : empty(204))
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(AppleMusicRatings.deleteRating("library-songs", "i.a"))
      yield* TestClock.adjust("1999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      assert.strictEqual(requests.length, 1)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fiber)
      assert.strictEqual(requests.length, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a 429 with an HTTP-date Retry-After is honored", () => {
    const { layer, requests } = clientLayer((_, index) =>
      index === 0 ? empty(429, { "retry-after": new Date(3000).toUTCString() }) : empty(204)
    )
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(AppleMusicRatings.deleteRating("library-songs", "i.a"))
      yield* TestClock.adjust("2900 millis")
      assert.strictEqual(requests.length, 1)
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(fiber)
      assert.strictEqual(requests.length, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("hostile ids fail with InvalidId and send no request", () => {
    const { layer, requests } = clientLayer(() => empty(204))
    return Effect.gen(function*() {
      const hostile = ["../library/songs", "a/b", "%2e%2e", "..", "", "a".repeat(10_000), "a\nb", "a b", "ñ", "i.a?x=1"]
      for (const id of hostile) {
        for (
          const attempt of [
            AppleMusicRatings.deleteRating("library-songs", id),
            AppleMusicRatings.getRating("library-songs", id),
            AppleMusicRatings.getRatings("library-songs", ["i.ok", id]),
            AppleMusicRatings.setRating("library-songs", id, 1)
          ]
        ) {
          const error = yield* Effect.flip(attempt)
          assert.strictEqual(error._tag, "InvalidId")
        }
      }
      assert.strictEqual(requests.length, 0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("batches single lookups into GET ?ids= of at most 100", () => {
    const { layer, requests } = clientLayer((request) => {
      const asked = new URL(request.url).searchParams.get("ids")!.split(",")
      return json({ data: asked.filter((_, i) => i % 2 === 0).map((id) => ({ id, attributes: { value: -1 } })) })
    })
    return Effect.gen(function*() {
      const wanted = Array.from({ length: 250 }, (_, i) => `i.song${i}`)
      const results = yield* Effect.forEach(
        wanted,
        (id) => Effect.either(AppleMusicRatings.getRating("library-songs", id)),
        { batching: true }
      )
      assert.strictEqual(requests.length, 3)
      assert.deepStrictEqual(
        requests.map((request) => new URL(request.url).searchParams.get("ids")!.split(",").length),
        [
          100,
          100,
          50
        ]
      )
      assert.strictEqual(
        requests[2]!.url,
        `https://api.music.apple.com/v1/me/ratings/library-songs?ids=${wanted.slice(200).join("%2C")}`
      )
      assert.strictEqual(results.filter((result) => result._tag === "Right").length, 125)
      const many = yield* AppleMusicRatings.getRatings("library-songs", wanted)
      assert.strictEqual(requests.length, 6)
      assert.strictEqual(many.length, 125)
    }).pipe(Effect.provide(layer))
  })

  it.effect("pages the library 100 at a time, following next, and never leaves the origin", () => {
    const { layer, requests } = clientLayer((request) => {
      const url = new URL(request.url)
      const offset = Number(url.searchParams.get("offset") ?? 0)
      const data = Array.from({ length: Math.min(100, 250 - offset) }, (_, i) => ({
        id: `i.${offset + i}`,
        type: "library-songs"
      }))
      return json(offset + 100 < 250 ? { data, next: `/v1/me/library/songs?offset=${offset + 100}` } : { data })
    })
    return Effect.gen(function*() {
      const items = yield* Stream.runCollect(AppleMusicRatings.listLibrary("library-songs"))
      assert.strictEqual(Chunk.size(items), 250)
      assert.deepStrictEqual(requests.map((request) => request.url), [
        "https://api.music.apple.com/v1/me/library/songs?limit=100",
        "https://api.music.apple.com/v1/me/library/songs?offset=100&limit=100",
        "https://api.music.apple.com/v1/me/library/songs?offset=200&limit=100"
      ])
    }).pipe(Effect.provide(layer))
  })

  it.effect("tells onTotal the library's size from each page that states it, before the next page is asked", () => {
    const metas: Record<number, unknown> = { 0: { total: 250 }, 100: { total: "250" }, 200: { total: 250 } }
    const { layer, requests } = clientLayer((request) => {
      const offset = Number(new URL(request.url).searchParams.get("offset") ?? 0)
      const data = Array.from({ length: Math.min(100, 250 - offset) }, (_, i) => ({
        id: `i.${offset + i}`,
        type: "library-songs"
      }))
      const next = offset + 100 < 250 ? { next: `/v1/me/library/songs?offset=${offset + 100}` } : {}
      return json({ data, ...next, meta: metas[offset] })
    })
    return Effect.gen(function*() {
      const heard: Array<[total: number, requestsSent: number]> = []
      const items = yield* Stream.runCollect(AppleMusicRatings.listLibrary("library-songs", {
        onTotal: (total) => Effect.sync(() => void heard.push([total, requests.length]))
      }))
      assert.strictEqual(Chunk.size(items), 250)
      assert.deepStrictEqual(heard, [[250, 1], [250, 3]], "the first page's size, then the third's; junk is skipped")
    }).pipe(Effect.provide(layer))
  })

  it.effect("refuses a next page on another host", () => {
    const { layer, requests } = clientLayer(() => json({ data: [], next: "https://evil.example/v1/me/library/songs" }))
    return Effect.gen(function*() {
      const error = yield* Effect.flip(Stream.runDrain(AppleMusicRatings.listLibrary("library-songs")))
      assert.strictEqual(error._tag, "UnexpectedResponse")
      assert.strictEqual(requests.length, 1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("no token appears in an error's message, its JSON, its cause or the request's inspection", () => {
    const { layer } = clientLayer(() => json({ errors: [{ code: "40300", status: "403" }] }, 403))
    return Effect.gen(function*() {
      const exit = yield* Effect.exit(AppleMusicRatings.deleteRating("library-songs", "i.a"))
      assert.isTrue(Exit.isFailure(exit))
      if (!Exit.isFailure(exit)) return
      const error = Option.getOrThrow(Cause.failureOption(exit.cause))
      const shown = [
        error.message,
        JSON.stringify(error),
        String(error),
        Inspectable.format(error),
        Cause.pretty(exit.cause)
      ].join("\n")
      assert.notInclude(shown, developerToken)
      assert.notInclude(shown, userToken)
      assert.include(error.message, "403")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a Transport error keeps its cause", () => {
    const { layer } = clientLayer(() => "reset", { retry: RetryPolicy.never })
    return Effect.gen(function*() {
      const error = yield* Effect.flip(AppleMusicRatings.deleteRating("library-songs", "i.a"))
      assert.strictEqual(error._tag, "Transport")
      if (error._tag !== "Transport") return
      assert.strictEqual(error.reason, "ConnectionReset")
      assert.instanceOf(error.cause, Error)
      assert.strictEqual((error.cause as { code?: string }).code, "UND_ERR_SOCKET")
      assert.strictEqual((error.cause as Error).message, "other side closed")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a Transport cause that shows a token is replaced by its sanitised description", () => {
    const failing = HttpClient.make((request) =>
      Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "Transport",
          cause: new Error(`invalid header value ${userToken}`, { cause: new Error(`bearer ${developerToken}`) })
        })
      )
    )
    const layer = AppleMusicClient.layer({
      developerToken: Redacted.make(developerToken),
      userToken: Redacted.make(userToken),
      retry: RetryPolicy.never
    }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, failing)))
    return Effect.gen(function*() {
      const exit = yield* Effect.exit(AppleMusicRatings.deleteRating("library-songs", "i.a"))
      assert.isTrue(Exit.isFailure(exit))
      if (!Exit.isFailure(exit)) return
      const error = Option.getOrThrow(Cause.failureOption(exit.cause))
      assert.strictEqual(error._tag, "Transport")
      if (error._tag !== "Transport") return
      assert.instanceOf(error.cause, Error)
      const shown = [
        error.message,
        JSON.stringify(error),
        String(error),
        Inspectable.format(error),
        Inspectable.format(error.cause),
        String((error.cause as Error).stack),
        Cause.pretty(exit.cause)
      ].join("\n")
      assert.notInclude(shown, developerToken)
      assert.notInclude(shown, userToken)
      assert.include(shown, "invalid header value <redacted>")
    }).pipe(Effect.provide(layer))
  })

  it.effect("layerConfig takes its options as Config values, from the application's ConfigProvider", () => {
    const mock = mockClient(() => empty(204))
    const layer = AppleMusicClient.layerConfig({
      developerToken: Config.redacted("MY_DEVELOPER_TOKEN"),
      userToken: Config.redacted("MY_USER_TOKEN"),
      baseUrl: Config.string("MY_BASE_URL"),
      retry: Config.succeed(RetryPolicy.never)
    }).pipe(Layer.provide(mock.layer))
    const provider = ConfigProvider.fromMap(
      new Map([
        ["MY_DEVELOPER_TOKEN", developerToken],
        ["MY_USER_TOKEN", userToken],
        ["MY_BASE_URL", "http://127.0.0.1:9"]
      ])
    )
    return Effect.gen(function*() {
      yield* AppleMusicRatings.deleteRating("library-songs", "i.a").pipe(Effect.provide(layer))
      assert.strictEqual(mock.requests.length, 1)
      assert.strictEqual(mock.requests[0]!.url, "http://127.0.0.1:9/v1/me/ratings/library-songs/i.a")
      assert.deepStrictEqual(mock.requests[0]!.headers, expectedHeaders)
    }).pipe(Effect.withConfigProvider(provider))
  })

  it.effect("layerConfig fails with a ConfigError: a missing setting, a base URL that is not allowed", () =>
    Effect.gen(function*() {
      const build = (entries: Record<string, string>) =>
        AppleMusicClient.layerConfig({
          developerToken: Config.redacted("MY_DEVELOPER_TOKEN"),
          userToken: Config.redacted("MY_USER_TOKEN"),
          baseUrl: Config.string("MY_BASE_URL")
        }).pipe(
          Layer.provide(mockClient(() => empty(204)).layer),
          Layer.build,
          Effect.scoped,
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries)))),
          Effect.flip
        )
      const missing = yield* build({ MY_DEVELOPER_TOKEN: developerToken, MY_BASE_URL: "https://x.example" })
      assert.isTrue(ConfigError.isConfigError(missing))
      assert.isTrue(ConfigError.isMissingDataOnly(missing))
      assert.include(String(missing), "MY_USER_TOKEN")
      const insecure = yield* build({
        MY_DEVELOPER_TOKEN: developerToken,
        MY_USER_TOKEN: userToken,
        MY_BASE_URL: "http://api.music.apple.com"
      })
      assert.isTrue(ConfigError.isConfigError(insecure))
      assert.isFalse(ConfigError.isMissingDataOnly(insecure))
      assert.include(String(insecure), "loopback")
      for (const error of [missing, insecure]) {
        assert.notInclude(String(error), developerToken)
        assert.notInclude(String(error), userToken)
      }
    }))

  it.effect("fails to build with a base URL that is not allowed", () =>
    Effect.gen(function*() {
      for (const baseUrl of ["http://api.music.apple.com", "ftp://127.0.0.1", "not a url", "https://u:p@x.com"]) {
        const { layer } = clientLayer(() => empty(204), { baseUrl })
        const error = yield* Effect.flip(Layer.build(layer).pipe(Effect.scoped))
        assert.strictEqual(error._tag, "ConfigurationError")
        assert.strictEqual(error.setting, "APPLE_MUSIC_BASE_URL")
      }
    }))
})
