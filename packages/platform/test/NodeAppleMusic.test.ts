import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { AppleMusicRatings, RatingKind, RetryPolicy } from "@unrate/core"
import { Emulator } from "@unrate/emulator"
import { AppleMusicClient, NodeAppleMusic } from "@unrate/platform"
import { Config, ConfigError, ConfigProvider, Effect, Layer, Redacted } from "effect"
import * as Jose from "jose"
import { makeKey } from "./keys.js"
import { sampleIds } from "./sampleIds.js"

const clientFor = (emulator: Emulator.Emulator, options: Partial<AppleMusicClient.Options> = {}) =>
  NodeAppleMusic.layer({
    baseUrl: emulator.url,
    developerToken: Redacted.make(emulator.developerToken),
    userToken: Redacted.make(emulator.userToken),
    rate: Infinity,
    ...options
  })

describe("NodeAppleMusic over the emulator", () => {
  it.scoped("deletes a rating of every kind over the socket", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      yield* emulator.store.seed(RatingKind.all.map((kind) => [kind, sampleIds[kind], -1] as const))
      yield* Effect.forEach(RatingKind.all, (kind) => AppleMusicRatings.deleteRating(kind, sampleIds[kind])).pipe(
        Effect.provide(clientFor(emulator))
      )
      assert.strictEqual(yield* emulator.store.count(), 0)
      const log = yield* emulator.requestLog
      assert.deepStrictEqual(
        log.map((entry) => [entry.method, entry.path, entry.status]),
        RatingKind.all.map((kind) => ["DELETE", `/v1/me/ratings/${kind}/${sampleIds[kind]}`, 204])
      )
    }))

  it.scoped("401 and 403 surface as Unauthorized and Forbidden after exactly one request", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const unauthorized = yield* Effect.flip(AppleMusicRatings.deleteRating("library-songs", "i.a")).pipe(
        Effect.provide(clientFor(emulator, { developerToken: Redacted.make("wrong") }))
      )
      assert.strictEqual(unauthorized._tag, "Unauthorized")
      assert.strictEqual((yield* emulator.requestLog).length, 1)
      const forbidden = yield* Effect.flip(AppleMusicRatings.deleteRating("library-songs", "i.a")).pipe(
        Effect.provide(clientFor(emulator, { userToken: Redacted.make("expired") }))
      )
      assert.strictEqual(forbidden._tag, "Forbidden")
      assert.include(forbidden.message, "40300")
      assert.strictEqual((yield* emulator.requestLog).length, 2)
    }))

  it.scopedLive("503 twice, then success", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      yield* emulator.store.seed([["library-songs", "i.a", -1]])
      yield* emulator.store.failNext(2, 503)
      yield* AppleMusicRatings.deleteRating("library-songs", "i.a").pipe(Effect.provide(clientFor(emulator)))
      assert.deepStrictEqual((yield* emulator.requestLog).map((entry) => entry.status), [503, 503, 204])
    }))

  it.scopedLive("429 without Retry-After recovers within the retry policy", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { rateLimit: 5 } })
      const ids = Array.from({ length: 12 }, (_, i) => `i.song${i}`)
      yield* emulator.store.seed(ids.map((id) => ["library-songs", id, -1] as const))
      yield* Effect.forEach(ids, (id) => AppleMusicRatings.deleteRating("library-songs", id), { concurrency: 6 }).pipe(
        Effect.provide(clientFor(emulator))
      )
      const log = yield* emulator.requestLog
      assert.isTrue(log.some((entry) => entry.status === 429))
      assert.strictEqual(log.filter((entry) => entry.status === 204).length, 12)
      assert.strictEqual(yield* emulator.store.count(), 0)
    }))

  it.scopedLive("429 with Retry-After is honored", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { rateLimit: 1, retryAfter: true } })
      yield* emulator.store.seed([["library-songs", "i.a", -1], ["library-songs", "i.b", -1]])
      yield* Effect.forEach(["i.a", "i.b"], (id) => AppleMusicRatings.deleteRating("library-songs", id), {
        concurrency: 2
      }).pipe(Effect.provide(clientFor(emulator)))
      const log = yield* emulator.requestLog
      const limited = log.findIndex((entry) => entry.status === 429)
      assert.isAtLeast(limited, 0)
      const retry = log.slice(limited + 1).find((entry) => entry.path === log[limited]!.path)!
      assert.isAtLeast(retry.at - log[limited]!.at, 990)
    }))

  it.scopedLive("an answer slower than the timeout fails as Transport Timeout, on Node and over any HttpClient", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { latency: "2 seconds" } })
      yield* emulator.store.seed([["library-songs", "i.slow", -1]])
      const options = {
        baseUrl: emulator.url,
        developerToken: Redacted.make(emulator.developerToken),
        userToken: Redacted.make(emulator.userToken),
        timeout: "100 millis",
        retry: RetryPolicy.never
      } as const
      const onNode = yield* Effect.flip(AppleMusicRatings.deleteRating("library-songs", "i.slow")).pipe(
        Effect.provide(NodeAppleMusic.layer(options))
      )
      assert.strictEqual(onNode._tag, "Transport")
      assert.strictEqual(onNode._tag === "Transport" && onNode.reason, "Timeout")
      const generic = yield* Effect.flip(AppleMusicRatings.deleteRating("library-songs", "i.slow")).pipe(
        Effect.provide(AppleMusicClient.layer(options).pipe(Layer.provide(NodeHttpClient.layerUndici)))
      )
      assert.strictEqual(generic._tag, "Transport")
      assert.strictEqual(generic._tag === "Transport" && generic.reason, "Timeout")
      assert.include(generic.message, "timed out")
    }))

  it.scopedLive("a connection reset is retried as Transport", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ seed: 3, faults: { resetRate: 0.3 } })
      const ids = Array.from({ length: 10 }, (_, i) => `i.song${i}`)
      yield* emulator.store.seed(ids.map((id) => ["library-songs", id, -1] as const))
      yield* Effect.forEach(ids, (id) => AppleMusicRatings.deleteRating("library-songs", id)).pipe(
        Effect.provide(clientFor(emulator, { retry: RetryPolicy.make({ base: "10 millis", retries: 10 }) }))
      )
      const log = yield* emulator.requestLog
      assert.isTrue(log.some((entry) => entry.status === 0))
      assert.strictEqual(yield* emulator.store.count(), 0)
      yield* emulator.setFaults({ resetRate: 1 })
      const error = yield* Effect.flip(AppleMusicRatings.getRating("library-songs", "i.x")).pipe(
        Effect.provide(clientFor(emulator, { retry: RetryPolicy.never }))
      )
      assert.strictEqual(error._tag, "Transport")
      if (error._tag === "Transport") assert.strictEqual(error.reason, "ConnectionReset")
    }))

  it.scopedLive("a JWT signed by the platform is accepted; a forged or over-long one is refused", () =>
    Effect.gen(function*() {
      const key = yield* Effect.promise(makeKey)
      const emulator = yield* Emulator.make({
        jwt: { publicKey: key.publicKey, keyId: "KEY1234567", teamId: "TEAM123456" }
      })
      yield* emulator.store.seed([["library-songs", "i.a", -1]])
      const material = { teamId: "TEAM123456", keyId: "KEY1234567", privateKey: Redacted.make(key.privateKey) }
      yield* AppleMusicRatings.deleteRating("library-songs", "i.a").pipe(
        Effect.provide(clientFor(emulator, { developerToken: material }))
      )
      const forger = yield* Effect.promise(makeKey)
      const forged = yield* Effect.flip(AppleMusicRatings.getRating("library-songs", "i.a")).pipe(
        Effect.provide(
          clientFor(emulator, { developerToken: { ...material, privateKey: Redacted.make(forger.privateKey) } })
        )
      )
      assert.strictEqual(forged._tag, "Unauthorized")
      const now = Math.floor(Date.now() / 1000)
      const privateKey = yield* Effect.promise(() => Jose.importPKCS8(key.privateKey, "ES256"))
      const overLong = yield* Effect.promise(() =>
        new Jose.SignJWT({})
          .setProtectedHeader({ alg: "ES256", kid: "KEY1234567" })
          .setIssuer("TEAM123456")
          .setIssuedAt(now)
          .setExpirationTime(now + 15_777_001)
          .sign(privateKey)
      )
      const refused = yield* Effect.flip(AppleMusicRatings.getRating("library-songs", "i.a")).pipe(
        Effect.provide(clientFor(emulator, { developerToken: Redacted.make(overLong) }))
      )
      assert.strictEqual(refused._tag, "Unauthorized")
      assert.deepStrictEqual((yield* emulator.requestLog).map((entry) => entry.status), [204, 401, 401])
    }))

  it.scoped("layerConfig and layerEnvironment reach the emulator with settings from a ConfigProvider", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      yield* emulator.store.seed([["library-songs", "i.a", -1], ["library-songs", "i.b", 1]])
      const provider = ConfigProvider.fromMap(
        new Map([
          ["APPLE_MUSIC_DEVELOPER_TOKEN", emulator.developerToken],
          ["APPLE_MUSIC_USER_TOKEN", emulator.userToken],
          ["APPLE_MUSIC_BASE_URL", emulator.url]
        ])
      )
      yield* AppleMusicRatings.deleteRating("library-songs", "i.a").pipe(
        Effect.provide(NodeAppleMusic.layerConfig({
          developerToken: Config.redacted("APPLE_MUSIC_DEVELOPER_TOKEN"),
          userToken: Config.redacted("APPLE_MUSIC_USER_TOKEN"),
          baseUrl: Config.string("APPLE_MUSIC_BASE_URL"),
          rate: Config.succeed(Infinity)
        })),
        Effect.withConfigProvider(provider)
      )
      yield* AppleMusicRatings.deleteRating("library-songs", "i.b").pipe(
        Effect.provide(NodeAppleMusic.layerEnvironment({ rate: Infinity })),
        Effect.withConfigProvider(provider)
      )
      assert.strictEqual(yield* emulator.store.count(), 0)
      const refused = yield* Layer.build(NodeAppleMusic.layerConfig({
        developerToken: Config.redacted("APPLE_MUSIC_DEVELOPER_TOKEN"),
        userToken: Config.redacted("APPLE_MUSIC_USER_TOKEN"),
        baseUrl: Config.succeed("http://example.com")
      })).pipe(Effect.withConfigProvider(provider), Effect.flip)
      assert.isTrue(ConfigError.isConfigError(refused))
      assert.include(String(refused), "APPLE_MUSIC_BASE_URL")
    }))
})
