import { assert, describe, it } from "@effect/vitest"
import { AppleMusicLimits } from "@unrate/core"
import { DeveloperToken } from "@unrate/platform"
import { Effect, Redacted, TestClock } from "effect"
import * as Jose from "jose"
import { makeKey } from "./keys.js"

const teamId = "TEAM123456"
const keyId = "KEY1234567"

const material = (privateKey: string): DeveloperToken.SigningMaterial => ({
  teamId,
  keyId,
  privateKey: Redacted.make(privateKey)
})

describe("DeveloperToken", () => {
  it("signs within Apple's ceiling, the one the emulator enforces: 15,777,000 s", () => {
    assert.strictEqual(DeveloperToken.maxTtlSeconds, 15_777_000)
    assert.strictEqual(DeveloperToken.maxTtlSeconds, AppleMusicLimits.developerTokenMaxTtlSeconds)
  })

  it.effect("signs an ES256 token that verifies with the matching public key", () =>
    Effect.gen(function*() {
      const key = yield* Effect.promise(makeKey)
      yield* TestClock.setTime(Date.parse("2026-11-27T10:00:00Z"))
      const token = yield* DeveloperToken.sign(material(key.privateKey), { ttlSeconds: 3600 })
      const publicKey = yield* Effect.promise(() => Jose.importSPKI(key.publicKey, "ES256"))
      const { payload, protectedHeader } = yield* Effect.promise(() =>
        Jose.jwtVerify(Redacted.value(token), publicKey, {
          currentDate: new Date("2026-11-27T10:00:01Z"),
          issuer: teamId
        })
      )
      assert.strictEqual(protectedHeader.alg, "ES256")
      assert.strictEqual(protectedHeader.kid, keyId)
      assert.strictEqual(payload.iss, teamId)
      assert.strictEqual(payload.iat, Date.parse("2026-11-27T10:00:00Z") / 1000)
      assert.strictEqual(payload.exp! - payload.iat!, 3600)
      const other = yield* Effect.promise(makeKey)
      const otherKey = yield* Effect.promise(() => Jose.importSPKI(other.publicKey, "ES256"))
      const forged = yield* Effect.promise(() =>
        Jose.jwtVerify(Redacted.value(token), otherKey).then(() => "verified", () => "refused")
      )
      assert.strictEqual(forged, "refused")
    }))

  it.effect("never signs for longer than 15777000 s and keeps a margin below it", () =>
    Effect.gen(function*() {
      const key = yield* Effect.promise(makeKey)
      for (const ttlSeconds of [DeveloperToken.maxTtlSeconds, DeveloperToken.maxTtlSeconds - 1, 60]) {
        const token = yield* DeveloperToken.sign(material(key.privateKey), { ttlSeconds })
        const claims = Jose.decodeJwt(Redacted.value(token))
        assert.isAtMost(claims.exp! - claims.iat!, DeveloperToken.maxTtlSeconds - DeveloperToken.safetyMarginSeconds)
      }
      const tooLong = yield* Effect.flip(
        DeveloperToken.sign(material(key.privateKey), { ttlSeconds: DeveloperToken.maxTtlSeconds + 1 })
      )
      assert.strictEqual(tooLong.setting, "ttl")
    }))

  it.effect("refuses malformed ids and keys without showing the key", () =>
    Effect.gen(function*() {
      const key = yield* Effect.promise(makeKey)
      const badTeam = yield* Effect.flip(DeveloperToken.sign({ ...material(key.privateKey), teamId: "short" }))
      assert.strictEqual(badTeam.setting, "APPLE_MUSIC_TEAM_ID")
      const badKey = yield* Effect.flip(
        DeveloperToken.sign(material("-----BEGIN PRIVATE KEY-----\nSECRETSTUFF\n-----END PRIVATE KEY-----"))
      )
      assert.strictEqual(badKey.setting, "APPLE_MUSIC_PRIVATE_KEY")
      assert.notInclude(badKey.message + JSON.stringify(badKey), "SECRETSTUFF")
    }))

  it.effect("accepts a key with escaped newlines, as environment variables often hold it", () =>
    Effect.gen(function*() {
      const key = yield* Effect.promise(makeKey)
      const token = yield* DeveloperToken.sign(material(key.privateKey.replace(/\n/g, "\\n")))
      assert.strictEqual(Jose.decodeProtectedHeader(Redacted.value(token)).kid, keyId)
    }))

  it.effect("caches the token and signs a new one before it expires", () =>
    Effect.gen(function*() {
      const key = yield* Effect.promise(makeKey)
      const source = yield* DeveloperToken.fromSigningMaterial(material(key.privateKey), { ttlSeconds: 3600 })
      const first = Redacted.value(yield* source.get)
      yield* TestClock.adjust("30 minutes")
      assert.strictEqual(Redacted.value(yield* source.get), first)
      yield* TestClock.adjust("25 minutes")
      const renewed = Redacted.value(yield* source.get)
      assert.notStrictEqual(renewed, first)
      assert.isAbove(Jose.decodeJwt(renewed).exp!, Jose.decodeJwt(first).exp!)
    }))
})
