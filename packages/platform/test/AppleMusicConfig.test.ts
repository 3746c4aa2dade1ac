import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { AppleMusicConfig } from "@unrate/platform"
import { ConfigProvider, Effect, Either, Redacted } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

const withEnv = (env: Record<string, string>) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

describe("AppleMusicConfig", () => {
  it("accepts https anywhere and http only on loopback", () => {
    for (
      const url of ["https://api.music.apple.com", "http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:3"]
    ) {
      assert.isTrue(Either.isRight(AppleMusicConfig.parseBaseUrl(url)), url)
    }
    for (const url of ["http://api.music.apple.com", "http://10.0.0.1", "file:///etc", "https://a.com/?x=1", "x"]) {
      const result = AppleMusicConfig.parseBaseUrl(url)
      assert.isTrue(Either.isLeft(result), url)
    }
  })

  it.effect("reads tokens from the environment, redacted", () =>
    Effect.gen(function*() {
      const settings = yield* AppleMusicConfig.load
      assert.strictEqual(settings.baseUrl.href, "https://api.music.apple.com/")
      assert.strictEqual(settings.developerToken._tag, "Token")
      assert.strictEqual(Redacted.value(settings.userToken), "user-secret")
      assert.notInclude(JSON.stringify(settings), "user-secret")
      assert.notInclude(JSON.stringify(settings), "dev-secret")
    }).pipe(
      withEnv({ APPLE_MUSIC_DEVELOPER_TOKEN: "dev-secret", APPLE_MUSIC_USER_TOKEN: "user-secret" }),
      Effect.provide(NodeFileSystem.layer)
    ))

  it.effect("falls back to signing material and the credentials file", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-config-"))
      Fs.mkdirSync(Path.join(dir, "unrate"))
      Fs.writeFileSync(Path.join(dir, "unrate", "credentials.json"), JSON.stringify({ musicUserToken: "from-file" }))
      Fs.writeFileSync(Path.join(dir, "key.p8"), "PEM TEXT")
      const settings = yield* AppleMusicConfig.load.pipe(withEnv({
        XDG_CONFIG_HOME: dir,
        APPLE_MUSIC_TEAM_ID: "TEAM123456",
        APPLE_MUSIC_KEY_ID: "KEY1234567",
        APPLE_MUSIC_PRIVATE_KEY_FILE: Path.join(dir, "key.p8"),
        APPLE_MUSIC_BASE_URL: "http://127.0.0.1:4000"
      }))
      assert.strictEqual(Redacted.value(settings.userToken), "from-file")
      assert.strictEqual(settings.developerToken._tag, "Signing")
      if (settings.developerToken._tag === "Signing") {
        assert.strictEqual(Redacted.value(settings.developerToken.material.privateKey), "PEM TEXT")
      }
      assert.strictEqual(settings.baseUrl.origin, "http://127.0.0.1:4000")
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("names the missing setting and the fix", () =>
    Effect.gen(function*() {
      const noDeveloper = yield* Effect.flip(AppleMusicConfig.load.pipe(withEnv({ APPLE_MUSIC_USER_TOKEN: "u" })))
      assert.strictEqual(noDeveloper.setting, "APPLE_MUSIC_DEVELOPER_TOKEN")
      const noUser = yield* Effect.flip(
        AppleMusicConfig.load.pipe(withEnv({ APPLE_MUSIC_DEVELOPER_TOKEN: "d", XDG_CONFIG_HOME: "/nonexistent" }))
      )
      assert.strictEqual(noUser.setting, "APPLE_MUSIC_USER_TOKEN")
      assert.include(noUser.message, "unrate login")
      const partial = yield* Effect.flip(
        AppleMusicConfig.load.pipe(withEnv({ APPLE_MUSIC_TEAM_ID: "TEAM123456", APPLE_MUSIC_USER_TOKEN: "u" }))
      )
      assert.strictEqual(partial.setting, "APPLE_MUSIC_KEY_ID")
      const badUrl = yield* Effect.flip(AppleMusicConfig.load.pipe(withEnv({
        APPLE_MUSIC_DEVELOPER_TOKEN: "d",
        APPLE_MUSIC_USER_TOKEN: "u",
        APPLE_MUSIC_BASE_URL: "http://example.com"
      })))
      assert.include(badUrl.message, "loopback")
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
