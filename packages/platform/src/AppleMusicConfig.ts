/**
 * The settings of the `unrate` command: tokens (or signing material), the base
 * URL, and the credentials file `unrate login` writes. {@link settings} reads
 * them as a `Config` through the current `ConfigProvider` (the environment by
 * default); {@link resolve} reads the key file and the credentials file;
 * {@link load} does both. Secrets are `Redacted` from the moment they are read.
 *
 * | variable | meaning |
 * | --- | --- |
 * | `APPLE_MUSIC_DEVELOPER_TOKEN` | a ready developer token |
 * | `APPLE_MUSIC_TEAM_ID`, `APPLE_MUSIC_KEY_ID` | signing material: team and key ids |
 * | `APPLE_MUSIC_PRIVATE_KEY` / `APPLE_MUSIC_PRIVATE_KEY_FILE` | the .p8 key as PEM text, or its path |
 * | `APPLE_MUSIC_USER_TOKEN` | the music user token (else the credentials file) |
 * | `APPLE_MUSIC_BASE_URL` | default `https://api.music.apple.com`; `http://` only for loopback |
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { SigningMaterial } from "./DeveloperToken.js"

/**
 * Settings that cannot work: a missing token, a base URL that is not allowed,
 * unreadable signing material. The message names the setting and the fix and
 * never contains a secret.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigurationError
  extends Schema.TaggedError<ConfigurationError>("@unrate/platform/ConfigurationError")("ConfigurationError", {
    setting: Schema.String,
    reason: Schema.String
  })
{
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.setting}: ${this.reason}`
  }
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultBaseUrl = "https://api.music.apple.com"

const isLoopback = (hostname: string): boolean =>
  hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)

/**
 * Checks a URL unrate will talk to or load: `https://` anywhere, `http://`
 * only for loopback hosts (127.0.0.0/8, `localhost`, `[::1]`), no
 * credentials, query or fragment. Errors name `setting` and suggest `example`.
 *
 * @since 0.1.0
 * @category validation
 */
export const parseUrl = (
  input: string | URL,
  setting: string,
  example: string
): Either.Either<URL, ConfigurationError> => {
  const fail = (reason: string) => Either.left(new ConfigurationError({ setting, reason }))
  let url: URL
  try {
    url = new URL(String(input))
  } catch {
    return fail(`${JSON.stringify(String(input))} is not a URL; use e.g. ${example}`)
  }
  if (url.username !== "" || url.password !== "") return fail("must not contain a user name or password")
  if (url.search !== "" || url.hash !== "") return fail("must not contain a query or a fragment")
  if (url.protocol === "https:") return Either.right(url)
  if (url.protocol === "http:") {
    return isLoopback(url.hostname)
      ? Either.right(url)
      : fail(
        `plain http:// is accepted only for loopback hosts (127.0.0.1, localhost, [::1]), not ${url.hostname}; use https://`
      )
  }
  return fail(`${url.protocol} is not supported; use https:// (or http:// on loopback)`)
}

/**
 * Checks a base URL (see {@link parseUrl}).
 *
 * @since 0.1.0
 * @category validation
 */
export const parseBaseUrl = (input: string | URL): Either.Either<URL, ConfigurationError> =>
  parseUrl(input, "APPLE_MUSIC_BASE_URL", defaultBaseUrl)

/**
 * Where the developer token comes from.
 *
 * @since 0.1.0
 * @category models
 */
export type DeveloperTokenSource =
  | { readonly _tag: "Token"; readonly token: Redacted.Redacted<string> }
  | { readonly _tag: "Signing"; readonly material: SigningMaterial }

/**
 * Where the private key of the signing material comes from: its PEM text, or
 * the path of the .p8 file.
 *
 * @since 0.2.0
 * @category models
 */
export type PrivateKeySource =
  | { readonly _tag: "Text"; readonly privateKey: Redacted.Redacted<string> }
  | { readonly _tag: "File"; readonly path: string }

/**
 * The signing material as configured: the key may still have to be read from
 * its file.
 *
 * @since 0.2.0
 * @category models
 */
export interface SigningSettings {
  readonly teamId: string
  readonly keyId: string
  readonly privateKey: PrivateKeySource
}

/**
 * What the configuration says, as {@link settings} reads it through the
 * `ConfigProvider`: nothing is read from files yet (see {@link resolve}).
 *
 * @since 0.2.0
 * @category models
 */
export interface Settings {
  readonly baseUrl: URL
  readonly developerToken: Option.Option<Redacted.Redacted<string>>
  readonly signing: Option.Option<SigningSettings>
  readonly userToken: Option.Option<Redacted.Redacted<string>>
  /** Where the credentials file `unrate login` writes is, when `XDG_CONFIG_HOME` or `HOME` is set. */
  readonly credentialsPath: Option.Option<string>
}

/**
 * Everything a client needs, with the key file and the credentials file read.
 *
 * @since 0.2.0
 * @category models
 */
export interface Loaded {
  readonly developerToken: DeveloperTokenSource
  readonly userToken: Redacted.Redacted<string>
  readonly baseUrl: URL
}

const optionalString = (name: string): Config.Config<Option.Option<string>> =>
  Config.map(
    Config.option(Config.string(name)),
    Option.flatMap((value) => Option.liftPredicate(value.trim(), nonEmpty))
  )
const optionalSecret = (name: string): Config.Config<Option.Option<Redacted.Redacted<string>>> =>
  Config.map(Config.option(Config.redacted(name)), Option.flatMap((value) => trimmedSecret(value)))
const nonEmpty = (value: string) => value !== ""
const trimmedSecret = (value: Redacted.Redacted<string>) =>
  Option.map(Option.liftPredicate(Redacted.value(value).trim(), nonEmpty), Redacted.make)

const signingNeeds =
  "is not set; signing a developer token needs APPLE_MUSIC_TEAM_ID, APPLE_MUSIC_KEY_ID and APPLE_MUSIC_PRIVATE_KEY (or APPLE_MUSIC_PRIVATE_KEY_FILE)"

/**
 * The signing material: `APPLE_MUSIC_TEAM_ID`, `APPLE_MUSIC_KEY_ID` and
 * `APPLE_MUSIC_PRIVATE_KEY` (PEM text) or `APPLE_MUSIC_PRIVATE_KEY_FILE`;
 * `None` when none of them is set, a `ConfigError` naming the first missing
 * one when only some are.
 *
 * @since 0.2.0
 * @category config
 */
export const signingSettings: Config.Config<Option.Option<SigningSettings>> = Config.all({
  teamId: optionalString("APPLE_MUSIC_TEAM_ID"),
  keyId: optionalString("APPLE_MUSIC_KEY_ID"),
  keyText: optionalSecret("APPLE_MUSIC_PRIVATE_KEY"),
  keyFile: optionalString("APPLE_MUSIC_PRIVATE_KEY_FILE")
}).pipe(Config.mapOrFail(({ keyFile, keyId, keyText, teamId }) => {
  const key: Option.Option<PrivateKeySource> = Option.isSome(keyText)
    ? Option.some({ _tag: "Text", privateKey: keyText.value })
    : Option.map(keyFile, (path) => ({ _tag: "File", path }))
  if (Option.isNone(teamId) && Option.isNone(keyId) && Option.isNone(key)) return Either.right(Option.none())
  if (Option.isNone(teamId)) return Either.left(ConfigError.MissingData(["APPLE_MUSIC_TEAM_ID"], signingNeeds))
  if (Option.isNone(keyId)) return Either.left(ConfigError.MissingData(["APPLE_MUSIC_KEY_ID"], signingNeeds))
  if (Option.isNone(key)) return Either.left(ConfigError.MissingData(["APPLE_MUSIC_PRIVATE_KEY"], signingNeeds))
  return Either.right(Option.some({ teamId: teamId.value, keyId: keyId.value, privateKey: key.value }))
}))

/**
 * The base URL: `APPLE_MUSIC_BASE_URL`, default `https://api.music.apple.com`,
 * checked by {@link parseBaseUrl}.
 *
 * @since 0.2.0
 * @category config
 */
export const baseUrlConfig: Config.Config<URL> = Config.string("APPLE_MUSIC_BASE_URL").pipe(
  Config.withDefault(defaultBaseUrl),
  Config.mapOrFail((value) =>
    Either.mapLeft(
      parseBaseUrl(value.trim() === "" ? defaultBaseUrl : value.trim()),
      (error) => ConfigError.InvalidData(["APPLE_MUSIC_BASE_URL"], error.reason)
    )
  )
)

/**
 * Where the credentials file is: `$XDG_CONFIG_HOME/unrate/credentials.json`,
 * else `$HOME/.config/unrate/credentials.json`.
 *
 * @since 0.2.0
 * @category config
 */
export const credentialsPathConfig: Config.Config<Option.Option<string>> = Config.map(
  Config.all([optionalString("XDG_CONFIG_HOME"), optionalString("HOME")]),
  ([xdg, home]) =>
    Option.isSome(xdg)
      ? Option.some(`${xdg.value.replace(/\/+$/, "")}/unrate/credentials.json`)
      : Option.map(home, (dir) => `${dir.replace(/\/+$/, "")}/.config/unrate/credentials.json`)
)

/**
 * The settings unrate's environment variables hold, as a `Config`: run it
 * with any `ConfigProvider` (the environment by default, `ConfigProvider.fromMap`
 * in tests, a JSON file …). Fails with a `ConfigError` naming the variable.
 *
 * @since 0.2.0
 * @category config
 */
export const settings: Config.Config<Settings> = Config.all({
  baseUrl: baseUrlConfig,
  developerToken: optionalSecret("APPLE_MUSIC_DEVELOPER_TOKEN"),
  signing: signingSettings,
  userToken: optionalSecret("APPLE_MUSIC_USER_TOKEN"),
  credentialsPath: credentialsPathConfig
})

const firstLeaf = (error: ConfigError.ConfigError): ConfigurationError => {
  switch (error._op) {
    case "And":
    case "Or":
      return firstLeaf(error.left)
    default:
      return new ConfigurationError({ setting: error.path.join(".") || "configuration", reason: error.message })
  }
}

/**
 * A `ConfigError` as a {@link ConfigurationError} naming the first setting it is about.
 *
 * @since 0.2.0
 * @category errors
 */
export const fromConfigError = (error: ConfigError.ConfigError): ConfigurationError => firstLeaf(error)

const configured = <A>(config: Config.Config<A>): Effect.Effect<A, ConfigurationError> =>
  Effect.mapError(config, fromConfigError)

const readKey = (signing: SigningSettings): Effect.Effect<SigningMaterial, ConfigurationError, FileSystem.FileSystem> =>
  signing.privateKey._tag === "Text"
    ? Effect.succeed({ teamId: signing.teamId, keyId: signing.keyId, privateKey: signing.privateKey.privateKey })
    : Effect.flatMap(FileSystem.FileSystem, (fs) => {
      const path = (signing.privateKey as { readonly path: string }).path
      return fs.readFileString(path).pipe(
        Effect.map((text) => ({ teamId: signing.teamId, keyId: signing.keyId, privateKey: Redacted.make(text) })),
        Effect.mapError(() =>
          new ConfigurationError({
            setting: "APPLE_MUSIC_PRIVATE_KEY_FILE",
            reason: `cannot read ${JSON.stringify(path)}; point it at the .p8 file Apple gave you`
          })
        )
      )
    })

/**
 * The signing material, when the environment has it: team id, key id and the
 * private key as text or as a file path (read here).
 *
 * @since 0.1.0
 * @category loading
 */
export const signingMaterial: Effect.Effect<
  Option.Option<SigningMaterial>,
  ConfigurationError,
  FileSystem.FileSystem
> = Effect.flatMap(
  configured(signingSettings),
  Option.match({ onNone: () => Effect.succeedNone, onSome: (signing) => Effect.asSome(readKey(signing)) })
)

const resolveDeveloperToken = (
  settings: Pick<Settings, "developerToken" | "signing">
): Effect.Effect<DeveloperTokenSource, ConfigurationError, FileSystem.FileSystem> => {
  if (Option.isSome(settings.developerToken)) {
    return Effect.succeed({ _tag: "Token", token: settings.developerToken.value })
  }
  if (Option.isSome(settings.signing)) {
    return Effect.map(readKey(settings.signing.value), (material) => ({ _tag: "Signing", material }))
  }
  return new ConfigurationError({
    setting: "APPLE_MUSIC_DEVELOPER_TOKEN",
    reason:
      "is not set; set it to a developer token, or set APPLE_MUSIC_TEAM_ID, APPLE_MUSIC_KEY_ID and APPLE_MUSIC_PRIVATE_KEY_FILE so unrate signs one"
  })
}

/**
 * The developer token: `APPLE_MUSIC_DEVELOPER_TOKEN`, else signing material.
 *
 * @since 0.1.0
 * @category loading
 */
export const developerToken: Effect.Effect<DeveloperTokenSource, ConfigurationError, FileSystem.FileSystem> = Effect
  .flatMap(
    configured(Config.all({ developerToken: optionalSecret("APPLE_MUSIC_DEVELOPER_TOKEN"), signing: signingSettings })),
    resolveDeveloperToken
  )

/**
 * The credentials file `unrate login` writes:
 * `$XDG_CONFIG_HOME/unrate/credentials.json`, else `~/.config/unrate/credentials.json`.
 *
 * @since 0.1.0
 * @category loading
 */
export const credentialsPath: Effect.Effect<Option.Option<string>> = Effect.orElseSucceed(
  credentialsPathConfig,
  () => Option.none<string>()
)

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, "0")}`

/** "readable by group and others", "readable and writable by others" … for the bits beyond the owner's. */
const describeAccess = (mode: number): string => {
  const access = (bits: number) =>
    [bits & 0o4 ? "readable" : "", bits & 0o2 ? "writable" : ""].filter((word) => word !== "").join(" and ")
  const group = access((mode >> 3) & 0o6)
  const others = access(mode & 0o6)
  if (group !== "" && group === others) return `${group} by group and others`
  return [group === "" ? "" : `${group} by group`, others === "" ? "" : `${others} by others`]
    .filter((part) => part !== "")
    .join(", ")
}

/**
 * Refuses a credentials file or directory that is a symbolic link, is not of
 * the kind expected, belongs to another user, or that group or others may read
 * or write (as ssh does with its keys). Not checked on Windows, which has no
 * such modes.
 */
const checkPrivate = (fs: FileSystem.FileSystem, path: string, kind: "File" | "Directory") =>
  Effect.gen(function*() {
    if (process.platform === "win32") return
    const refuse = (reason: string) => new ConfigurationError({ setting: path, reason })
    const isLink = yield* fs.readLink(path).pipe(Effect.as(true), Effect.orElseSucceed(() => false))
    if (isLink) {
      return yield* refuse(
        kind === "File"
          ? "is a symbolic link, and unrate does not follow links to credentials; replace it with the file itself (mode 0600), or run `unrate login` again"
          : "is a symbolic link, and unrate does not follow links to credentials; replace it with a directory of mode 0700 holding credentials.json"
      )
    }
    const info = yield* Effect.mapError(fs.stat(path), () => refuse("cannot be read; run `unrate login` again"))
    if (info.type !== kind) return yield* refuse(`is not a ${kind === "File" ? "file" : "directory"}`)
    const uid = process.getuid?.()
    if (uid !== undefined && Option.isSome(info.uid) && info.uid.value !== uid) {
      return yield* refuse(`belongs to another user (uid ${info.uid.value}); run \`unrate login\` as yourself`)
    }
    if ((info.mode & 0o066) !== 0) {
      const fix = kind === "File" ? "600" : "700"
      return yield* refuse(`is ${describeAccess(info.mode)} (mode ${octal(info.mode)}); run: chmod ${fix} ${path}`)
    }
  })

const Credentials = Schema.parseJson(Schema.Struct({ musicUserToken: Schema.NonEmptyString }))

const readCredentials = (
  path: Option.Option<string>
): Effect.Effect<Redacted.Redacted<string>, ConfigurationError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const missing = new ConfigurationError({
      setting: "APPLE_MUSIC_USER_TOKEN",
      reason: "is not set and no credentials file was found; run `unrate login`, or set it to a music user token"
    })
    if (Option.isNone(path)) return yield* missing
    const fs = yield* FileSystem.FileSystem
    const isLink = yield* fs.readLink(path.value).pipe(Effect.as(true), Effect.orElseSucceed(() => false))
    const exists = isLink || (yield* Effect.orElseSucceed(fs.exists(path.value), () => false))
    if (!exists) return yield* missing
    yield* checkPrivate(fs, directoryOf(path.value), "Directory")
    yield* checkPrivate(fs, path.value, "File")
    const text = yield* Effect.mapError(
      fs.readFileString(path.value),
      () => new ConfigurationError({ setting: path.value, reason: "cannot be read; run `unrate login` again" })
    )
    const decoded = yield* Effect.mapError(
      Schema.decodeUnknown(Credentials)(text),
      () =>
        new ConfigurationError({
          setting: path.value,
          reason: "is not an unrate credentials file; run `unrate login` again"
        })
    )
    return Redacted.make(decoded.musicUserToken)
  })

const resolveUserToken = (
  settings: Pick<Settings, "userToken" | "credentialsPath">
): Effect.Effect<Redacted.Redacted<string>, ConfigurationError, FileSystem.FileSystem> =>
  Option.isSome(settings.userToken)
    ? Effect.succeed(settings.userToken.value)
    : readCredentials(settings.credentialsPath)

/**
 * The music user token: `APPLE_MUSIC_USER_TOKEN`, else the credentials file.
 * The file must be private, as ssh wants its keys: a credentials file or
 * directory that is a symbolic link, belongs to another user, or that group
 * or others may read or write is refused with a ConfigurationError whose
 * message gives the fix (e.g. `run: chmod 600 …`).
 *
 * @since 0.1.0
 * @category loading
 */
export const userToken: Effect.Effect<Redacted.Redacted<string>, ConfigurationError, FileSystem.FileSystem> = Effect
  .flatMap(
    configured(
      Config.all({ userToken: optionalSecret("APPLE_MUSIC_USER_TOKEN"), credentialsPath: credentialsPathConfig })
    ),
    resolveUserToken
  )

/**
 * The base URL: `APPLE_MUSIC_BASE_URL`, default `https://api.music.apple.com`.
 *
 * @since 0.1.0
 * @category loading
 */
export const baseUrl: Effect.Effect<URL, ConfigurationError> = configured(baseUrlConfig)

/**
 * Completes {@link Settings}: reads the key file and, without
 * `APPLE_MUSIC_USER_TOKEN`, the credentials file; fails when there is no
 * developer token or no user token to be had.
 *
 * @since 0.2.0
 * @category loading
 */
export const resolve = (settings: Settings): Effect.Effect<Loaded, ConfigurationError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const developer = yield* resolveDeveloperToken(settings)
    const user = yield* resolveUserToken(settings)
    return { baseUrl: settings.baseUrl, developerToken: developer, userToken: user }
  })

/**
 * All settings from the environment (the current `ConfigProvider`), with the
 * key file and the credentials file read: the CLI's entry point.
 *
 * @since 0.1.0
 * @category loading
 */
export const load: Effect.Effect<Loaded, ConfigurationError, FileSystem.FileSystem> = Effect.flatMap(
  configured(settings),
  resolve
)

const directoryOf = (path: string) => path.slice(0, path.lastIndexOf("/"))

const noCredentialsPath = new ConfigurationError({
  setting: "XDG_CONFIG_HOME",
  reason: "neither XDG_CONFIG_HOME nor HOME is set, so there is no place for the credentials file; set one of them"
})

/**
 * Stores a music user token in the credentials file, replacing any earlier one:
 * the directory is created with mode 0700, the file is written beside it with
 * mode 0600 and renamed into place, so a reader never sees half a file. A
 * directory that is a symbolic link is refused. Succeeds with the file's path.
 *
 * @since 0.1.0
 * @category credentials
 */
export const saveUserToken = (
  token: Redacted.Redacted<string>
): Effect.Effect<string, ConfigurationError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const path = yield* credentialsPath
    if (Option.isNone(path)) return yield* noCredentialsPath
    const fs = yield* FileSystem.FileSystem
    const directory = directoryOf(path.value)
    const isLink = yield* fs.readLink(directory).pipe(Effect.as(true), Effect.orElseSucceed(() => false))
    if (isLink) {
      return yield* new ConfigurationError({
        setting: directory,
        reason:
          "is a symbolic link, and unrate does not write credentials through links; replace it with a directory (mode 0700)"
      })
    }
    const temporary = `${path.value}.${process.pid}.tmp`
    const text = JSON.stringify({ musicUserToken: Redacted.value(token) }) + "\n"
    yield* fs.makeDirectory(directory, { recursive: true, mode: 0o700 }).pipe(
      Effect.zipRight(fs.chmod(directory, 0o700)),
      Effect.zipRight(fs.remove(temporary, { force: true })),
      Effect.zipRight(fs.writeFileString(temporary, text, { mode: 0o600, flag: "wx" })),
      Effect.zipRight(fs.rename(temporary, path.value)),
      Effect.mapError((error) =>
        new ConfigurationError({ setting: path.value, reason: `cannot be written: ${error.message}` })
      )
    )
    return path.value
  })

/**
 * Deletes the credentials file. Succeeds with its path when there was one to
 * delete, `None` when there was nothing to delete.
 *
 * @since 0.1.0
 * @category credentials
 */
export const removeUserToken: Effect.Effect<Option.Option<string>, ConfigurationError, FileSystem.FileSystem> = Effect
  .gen(function*() {
    const path = yield* credentialsPath
    if (Option.isNone(path)) return Option.none()
    const fs = yield* FileSystem.FileSystem
    const exists = yield* Effect.orElseSucceed(fs.exists(path.value), () => false)
    if (!exists) return Option.none()
    yield* Effect.mapError(
      fs.remove(path.value),
      (error) => new ConfigurationError({ setting: path.value, reason: `cannot be deleted: ${error.message}` })
    )
    return Option.some(path.value)
  })
