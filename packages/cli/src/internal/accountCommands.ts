import { AppleMusicConfig, DeveloperToken } from "@unrate/platform"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ChildProcess from "node:child_process"
import type { Flags, loginConfig } from "./definitions.js"
import { defaultMusicKitUrl, defaultTimeout, receiveToken } from "./login.js"
import { packageVersion, ProcessTag, UsageError } from "./runtime.js"

const usage = (problem: string) => new UsageError({ problem })

/** The page's developer token lives an hour when unrate signs it. */
const pageTokenTtlSeconds = 3600

const musicKitUrl = Effect.gen(function*() {
  const configured = yield* Config.option(Config.string("UNRATE_MUSICKIT_URL")).pipe(
    Effect.orElseSucceed(() => Option.none<string>())
  )
  if (Option.isNone(configured) || configured.value.trim() === "") return defaultMusicKitUrl
  const url = AppleMusicConfig.parseUrl(configured.value.trim(), "UNRATE_MUSICKIT_URL", defaultMusicKitUrl)
  if (Either.isLeft(url)) {
    return yield* usage(
      `UNRATE_MUSICKIT_URL must be an https:// URL (or http:// on a loopback host): ${url.left.reason}`
    )
  }
  return url.right.href
})

const developerTokenForPage = Effect.gen(function*() {
  const source = yield* AppleMusicConfig.developerToken.pipe(Effect.mapError((error) => usage(error.message)))
  if (source._tag === "Token") return source.token
  return yield* DeveloperToken.sign(source.material, { ttlSeconds: pageTokenTtlSeconds }).pipe(
    Effect.mapError((error) => usage(error.message))
  )
})

const openBrowser = (url: string) =>
  Effect.sync(() => {
    const [program, args] = process.platform === "darwin"
      ? ["open", [url]] as const
      : process.platform === "win32"
      ? ["cmd", ["/c", "start", "", url]] as const
      : ["xdg-open", [url]] as const
    try {
      const child = ChildProcess.spawn(program, args, { stdio: "ignore", detached: true })
      child.on("error", () => undefined)
      child.unref()
    } catch {
      // The URL is printed either way.
    }
  })

/** `unrate login [--port N] [--no-open]` @internal */
export const runLogin = (flags: Flags<typeof loginConfig>) =>
  Effect.gen(function*() {
    const io = yield* ProcessTag
    if (flags.port < 0 || flags.port > 65535) return yield* usage(`--port must be from 0 to 65535; got ${flags.port}`)
    const scriptUrl = yield* musicKitUrl
    const developerToken = yield* developerTokenForPage
    const path = yield* AppleMusicConfig.credentialsPath
    if (Option.isNone(path)) {
      return yield* usage("neither XDG_CONFIG_HOME nor HOME is set, so there is no place for the credentials file")
    }
    const token = yield* receiveToken({
      port: flags.port,
      developerToken,
      musicKitUrl: scriptUrl,
      credentialsPath: path.value,
      version: packageVersion,
      timeout: defaultTimeout,
      onListening: (url) =>
        Effect.zipRight(
          io.stderr(
            `unrate login: ${
              flags.noOpen ? "open" : "opening"
            } ${url} in your browser; press "Sign in to Apple Music" there.\n` +
              `Waiting up to ${Duration.format(defaultTimeout)} (Ctrl-C gives up).\n`
          ),
          flags.noOpen ? Effect.void : openBrowser(url)
        ),
      onRefused: (reason) => io.stderr(`unrate login: refused: ${reason}\n`)
    }).pipe(
      Effect.catchTag("ServeError", (error) =>
        usage(`cannot serve the sign-in page on 127.0.0.1:${flags.port}: ${String(error.cause)}`))
    )
    const stored = yield* AppleMusicConfig.saveUserToken(token)
    yield* io.stdout(
      `Signed in. The music user token is stored in ${stored} (mode 0600); unrate uses it whenever APPLE_MUSIC_USER_TOKEN is not set.\n`
    )
  })

/** `unrate logout` @internal */
export const runLogout = Effect.gen(function*() {
  const io = yield* ProcessTag
  const removed = yield* AppleMusicConfig.removeUserToken
  yield* io.stdout(
    Option.isSome(removed) ? `Deleted ${removed.value}.\n` : "No credentials file to delete.\n"
  )
  const fromEnvironment = yield* Config.option(Config.string("APPLE_MUSIC_USER_TOKEN")).pipe(
    Effect.orElseSucceed(() => Option.none<string>())
  )
  if (Option.isSome(fromEnvironment) && fromEnvironment.value.trim() !== "") {
    yield* io.stderr("unrate logout: APPLE_MUSIC_USER_TOKEN is still set in this environment; unset it too.\n")
  }
})
