import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { AppleMusicConfig } from "@unrate/platform"
import { ConfigError, ConfigProvider, Effect, Either, Option, Redacted } from "effect"
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
      Fs.mkdirSync(Path.join(dir, "unrate"), { mode: 0o700 })
      Fs.writeFileSync(Path.join(dir, "unrate", "credentials.json"), JSON.stringify({ musicUserToken: "from-file" }), {
        mode: 0o600
      })
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

  it.effect("settings is a Config: read through any ConfigProvider, no file touched", () =>
    Effect.gen(function*() {
      const provider = ConfigProvider.fromMap(
        new Map([
          ["APPLE_MUSIC_TEAM_ID", " TEAM123456 "],
          ["APPLE_MUSIC_KEY_ID", "KEY1234567"],
          ["APPLE_MUSIC_PRIVATE_KEY_FILE", "/keys/AuthKey.p8"],
          ["APPLE_MUSIC_USER_TOKEN", " user-secret "],
          ["APPLE_MUSIC_BASE_URL", "http://127.0.0.1:4000"],
          ["HOME", "/home/someone/"]
        ])
      )
      const settings = yield* Effect.withConfigProvider(AppleMusicConfig.settings, provider)
      assert.strictEqual(settings.baseUrl.origin, "http://127.0.0.1:4000")
      assert.isTrue(Option.isNone(settings.developerToken))
      assert.deepStrictEqual(
        settings.signing,
        Option.some({
          teamId: "TEAM123456",
          keyId: "KEY1234567",
          privateKey: { _tag: "File", path: "/keys/AuthKey.p8" }
        })
      )
      assert.strictEqual(Redacted.value(Option.getOrThrow(settings.userToken)), "user-secret")
      assert.deepStrictEqual(settings.credentialsPath, Option.some("/home/someone/.config/unrate/credentials.json"))
      assert.notInclude(JSON.stringify(settings), "user-secret")
    }))

  it.effect("settings fails with a ConfigError naming the variable", () =>
    Effect.gen(function*() {
      const read = (entries: Record<string, string>) =>
        Effect.flip(
          Effect.withConfigProvider(AppleMusicConfig.settings, ConfigProvider.fromMap(new Map(Object.entries(entries))))
        )
      const partial = yield* read({ APPLE_MUSIC_TEAM_ID: "TEAM123456", APPLE_MUSIC_PRIVATE_KEY: "PEM" })
      assert.isTrue(ConfigError.isConfigError(partial))
      assert.isTrue(ConfigError.isMissingDataOnly(partial))
      assert.strictEqual(AppleMusicConfig.fromConfigError(partial).setting, "APPLE_MUSIC_KEY_ID")
      const badUrl = yield* read({ APPLE_MUSIC_BASE_URL: "http://example.com" })
      assert.isTrue(ConfigError.isConfigError(badUrl))
      assert.isFalse(ConfigError.isMissingDataOnly(badUrl))
      assert.strictEqual(AppleMusicConfig.fromConfigError(badUrl).setting, "APPLE_MUSIC_BASE_URL")
      assert.include(AppleMusicConfig.fromConfigError(badUrl).message, "loopback")
    }))

  describe("the credentials file", () => {
    const configHome = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-credentials-"))
    const modeOf = (path: string) => Fs.statSync(path).mode & 0o777
    const readToken = (dir: string) =>
      AppleMusicConfig.userToken.pipe(withEnv({ XDG_CONFIG_HOME: dir }), Effect.provide(NodeFileSystem.layer))
    const saveToken = (dir: string, token: string) =>
      AppleMusicConfig.saveUserToken(Redacted.make(token)).pipe(
        withEnv({ XDG_CONFIG_HOME: dir }),
        Effect.provide(NodeFileSystem.layer)
      )
    /** A private file in a private directory, as `saveUserToken` leaves it. */
    const privateFile = (dir: string, token = "private-token") => {
      Fs.mkdirSync(Path.join(dir, "unrate"), { mode: 0o700 })
      const file = Path.join(dir, "unrate", "credentials.json")
      Fs.writeFileSync(file, JSON.stringify({ musicUserToken: token }), { mode: 0o600 })
      return file
    }

    it.effect("saveUserToken writes the file 0600 in a directory 0700, also over a looser existing one", () =>
      Effect.gen(function*() {
        const dir = configHome()
        const file = yield* saveToken(dir, "saved-token")
        assert.strictEqual(file, Path.join(dir, "unrate", "credentials.json"))
        assert.strictEqual(modeOf(file), 0o600)
        assert.strictEqual(modeOf(Path.dirname(file)), 0o700)
        assert.strictEqual(Redacted.value(yield* readToken(dir)), "saved-token")

        const loose = configHome()
        Fs.mkdirSync(Path.join(loose, "unrate"), { mode: 0o755 })
        Fs.chmodSync(Path.join(loose, "unrate"), 0o755)
        const again = yield* saveToken(loose, "replacing-token")
        assert.strictEqual(modeOf(again), 0o600)
        assert.strictEqual(modeOf(Path.dirname(again)), 0o700)
        assert.strictEqual(Redacted.value(yield* readToken(loose)), "replacing-token")
      }))

    it.effect("a 0600 file in a 0700 directory is read", () =>
      Effect.gen(function*() {
        const dir = configHome()
        privateFile(dir)
        assert.strictEqual(Redacted.value(yield* readToken(dir)), "private-token")
      }))

    it.effect("a file or directory others can read is refused with the chmod that fixes it", () =>
      Effect.gen(function*() {
        const dir = configHome()
        const file = privateFile(dir)
        Fs.chmodSync(file, 0o644)
        const open = yield* Effect.flip(readToken(dir))
        assert.strictEqual(open._tag, "ConfigurationError")
        assert.strictEqual(open.setting, file)
        assert.strictEqual(
          open.message,
          `${file}: is readable by group and others (mode 0644); run: chmod 600 ${file}`
        )
        Fs.chmodSync(file, 0o620)
        assert.include((yield* Effect.flip(readToken(dir))).message, `writable by group (mode 0620); run: chmod 600`)

        Fs.chmodSync(file, 0o600)
        Fs.chmodSync(Path.dirname(file), 0o755)
        const openDirectory = yield* Effect.flip(readToken(dir))
        assert.strictEqual(openDirectory.setting, Path.dirname(file))
        assert.include(
          openDirectory.message,
          `is readable by group and others (mode 0755); run: chmod 700 ${Path.dirname(file)}`
        )
        for (const error of [open, openDirectory]) assert.notInclude(JSON.stringify(error), "private-token")
      }))

    it.effect("a symbolic link to the file or the directory is refused", () =>
      Effect.gen(function*() {
        const elsewhere = configHome()
        const target = privateFile(elsewhere, "linked-token")

        const linkedFile = configHome()
        Fs.mkdirSync(Path.join(linkedFile, "unrate"), { mode: 0o700 })
        Fs.symlinkSync(target, Path.join(linkedFile, "unrate", "credentials.json"))
        const file = yield* Effect.flip(readToken(linkedFile))
        assert.strictEqual(file.setting, Path.join(linkedFile, "unrate", "credentials.json"))
        assert.include(file.message, "is a symbolic link")

        const linkedDirectory = configHome()
        Fs.symlinkSync(Path.dirname(target), Path.join(linkedDirectory, "unrate"))
        const directory = yield* Effect.flip(readToken(linkedDirectory))
        assert.strictEqual(directory.setting, Path.join(linkedDirectory, "unrate"))
        assert.include(directory.message, "is a symbolic link")
        const saving = yield* Effect.flip(saveToken(linkedDirectory, "through-a-link"))
        assert.include(saving.message, "is a symbolic link")
        assert.deepStrictEqual(JSON.parse(Fs.readFileSync(target, "utf8")), { musicUserToken: "linked-token" })

        const dangling = configHome()
        Fs.mkdirSync(Path.join(dangling, "unrate"), { mode: 0o700 })
        Fs.symlinkSync(Path.join(dangling, "nowhere"), Path.join(dangling, "unrate", "credentials.json"))
        assert.include((yield* Effect.flip(readToken(dangling))).message, "is a symbolic link")
      }))
  })
})
