import { Batch, Journal } from "@unrate/core"
import { Emulator } from "@unrate/emulator"
import { AppleMusicConfig, DeveloperToken, NodeAppleMusic } from "@unrate/platform"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Colour from "./colour.js"
import type { emulatorConfig, Flags, tokenConfig } from "./definitions.js"
import { speedDefaults } from "./definitions.js"
import { runEngine } from "./engine.js"
import { batchText, exitCodeOf, restoreText } from "./output.js"
import { ProcessTag, UsageError } from "./runtime.js"

const usage = (problem: string) => new UsageError({ problem })

/** `unrate token [--ttl SECONDS]` @internal */
export const runToken = (flags: Flags<typeof tokenConfig>) =>
  Effect.gen(function*() {
    const io = yield* ProcessTag
    const ttl = yield* DeveloperToken.checkTtl(Option.getOrElse(flags.ttl, () => DeveloperToken.defaultTtlSeconds))
      .pipe(Effect.mapError((error) => usage(`--ttl ${error.reason}`)))
    const material = yield* AppleMusicConfig.signingMaterial.pipe(Effect.mapError((error) => usage(error.message)))
    if (Option.isNone(material)) {
      return yield* usage(
        "no signing material: set APPLE_MUSIC_TEAM_ID, APPLE_MUSIC_KEY_ID and APPLE_MUSIC_PRIVATE_KEY_FILE (the .p8 file from your Apple Developer account) or APPLE_MUSIC_PRIVATE_KEY"
      )
    }
    const token = yield* DeveloperToken.sign(material.value, { ttlSeconds: ttl }).pipe(
      Effect.mapError((error) => usage(error.message))
    )
    yield* io.stdout(`${Redacted.value(token)}\n`)
  })

/** `unrate emulator [--port N] [--seed N] [fault flags]` @internal */
export const runEmulator = (flags: Flags<typeof emulatorConfig>) =>
  Effect.gen(function*() {
    const io = yield* ProcessTag
    for (const [name, value] of [["likes", flags.likes], ["dislikes", flags.dislikes]] as const) {
      if (value < 0 || value > 1) return yield* usage(`--${name} must be a share from 0 to 1; got ${value}`)
    }
    if (flags.port < 0 || flags.port > 65535) return yield* usage(`--port must be from 0 to 65535; got ${flags.port}`)
    yield* io.stopGracefully
    yield* Effect.scoped(Effect.gen(function*() {
      const emulator = yield* Emulator.make({
        port: flags.port,
        seed: flags.seed,
        admin: flags.admin,
        deleteMissing: flags.deleteMissing === "204" ? 204 : 404,
        library: [{ kind: "library-songs", size: flags.songs, likes: flags.likes, dislikes: flags.dislikes }],
        faults: {
          rateLimit: Option.getOrUndefined(flags.rateLimit),
          retryAfter: flags.retryAfter,
          error500: Option.getOrUndefined(flags.error500),
          error503: Option.getOrUndefined(flags.error503),
          error429: Option.getOrUndefined(flags.error429),
          resetRate: Option.getOrUndefined(flags.resets),
          dropAfterCommit: Option.getOrUndefined(flags.dropAfterCommit),
          latency: Option.getOrUndefined(Option.map(flags.latency, (ms) => `${ms} millis` as const)),
          userTokenExpiresAfter: Option.getOrUndefined(flags.expireUserTokenAfter)
        }
      }).pipe(Effect.mapError((error) => usage(`cannot listen on port ${flags.port}: ${error.message}`)))
      yield* io.stdout(
        [
          `unrate emulator listening on ${emulator.url} (Ctrl-C stops it)`,
          `export APPLE_MUSIC_BASE_URL=${emulator.url}`,
          `export APPLE_MUSIC_DEVELOPER_TOKEN=${emulator.developerToken}`,
          `export APPLE_MUSIC_USER_TOKEN=${emulator.userToken}`,
          ""
        ].join("\n")
      )
      yield* io.stopRequested
      yield* io.stderr("unrate emulator: stopped\n")
    }))
  })

/** `unrate demo` @internal */
export const runDemo = Effect.gen(function*() {
  const io = yield* ProcessTag
  const paint = Colour.forStream("stdout")
  yield* io.stopGracefully
  yield* Effect.scoped(Effect.gen(function*() {
    const emulator = yield* Emulator.make({
      seed: 2026,
      library: [{ kind: "library-songs", size: 5000, likes: 0.08, dislikes: 0.12 }],
      faults: { error429: 0.01, error503: 0.01, latency: "2 millis" }
    })
    const likesBefore = (yield* emulator.store.ratings).filter((rating) => rating.value === 1).length
    yield* io.stdout(
      [
        `unrate demo: an emulated Apple Music library of 5,000 songs on ${emulator.url}`,
        "(600 disliked, 400 liked; 1% of requests answer 429 and 1% answer 503, so retries show)",
        "",
        "Sweeping the dislikes: unrate sweep library-songs --value dislike --journal <temporary journal>",
        ""
      ].join("\n")
    )
    const client = NodeAppleMusic.layer({
      baseUrl: emulator.url,
      developerToken: Redacted.make(emulator.developerToken),
      userToken: Redacted.make(emulator.userToken),
      rate: Infinity
    })
    const run = { json: false, journal: Effect.succeed(yield* Journal.memory()), client }
    const summary = yield* runEngine(
      { ...run, label: "sweep library-songs" },
      ({ journal, options }) =>
        Batch.sweep("library-songs", { value: "dislike", journal, ...speedDefaults, ...options })
    )
    yield* io.stdout(
      `\n${Colour.paintSummary(batchText("sweep", "library-songs", summary, "<temporary journal>", false), paint)}`
    )
    const likesAfter = (yield* emulator.store.ratings).filter((rating) => rating.value === 1).length
    const dislikesAfter = (yield* emulator.store.ratings).filter((rating) => rating.value === -1).length
    yield* io.stdout(`library now: ${dislikesAfter} dislikes, ${likesAfter} likes (was 600 and ${likesBefore})\n\n`)
    if (summary.stoppedBy !== null) {
      return yield* io.setExitCode(exitCodeOf(summary.stoppedBy, summary.failed))
    }
    yield* io.stdout("Undoing it: unrate restore --journal <the same journal>\n")
    const restored = yield* runEngine(
      { ...run, label: "restore" },
      ({ journal, options }) => Batch.restore(journal, { ...speedDefaults, ...options })
    )
    yield* io.stdout(`\n${Colour.paintSummary(restoreText("<the journal>", restored), paint)}`)
    const back = (yield* emulator.store.ratings).filter((rating) => rating.value === -1).length
    yield* io.stdout(`library now: ${back} dislikes again. Nothing left the machine.\n`)
    yield* io.setExitCode(exitCodeOf(restored.stoppedBy, restored.failed + summary.failed))
  }))
})
