import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type { PlatformError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import type { AppleMusicRatings, Journal } from "@unrate/core"
import { Batch, RatingKind } from "@unrate/core"
import { AppleMusicConfig, IdsFile, JournalFile, NodeAppleMusic } from "@unrate/platform"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import { batchJson, batchText, exitCodeOf, makeProgress, restoreJson, restoreText } from "./output.js"
import { ProcessTag, UsageError } from "./runtime.js"

/** @internal */
export const batchOptions = {
  language: Options.text("language").pipe(
    Options.withDescription("Apple's `l` parameter: a BCP 47 language tag such as en-GB"),
    Options.optional
  ),
  concurrency: Options.integer("concurrency").pipe(
    Options.withDescription("requests in flight at once"),
    Options.withDefault(8)
  ),
  rate: Options.float("rate").pipe(
    Options.withDescription("requests per second, shared by all requests; lowered automatically on 429"),
    Options.withDefault(20)
  ),
  journal: Options.text("journal").pipe(
    Options.withDescription("JSON Lines file recording every outcome: rerun to resume, `unrate restore` to undo"),
    Options.optional
  ),
  maxDeletions: Options.integer("max-deletions").pipe(
    Options.withDescription("delete at most this many ratings"),
    Options.optional
  ),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("send no DELETE; report what would be deleted")),
  json: Options.boolean("json").pipe(Options.withDescription("print one JSON object on stdout at the end"))
}

interface BatchFlags {
  readonly language: Option.Option<string>
  readonly concurrency: number
  readonly rate: number
  readonly journal: Option.Option<string>
  readonly maxDeletions: Option.Option<number>
  readonly dryRun: boolean
  readonly json: boolean
}

const usage = (problem: string) => new UsageError({ problem })

/** @internal */
export const checkFlags = (flags: BatchFlags): Effect.Effect<void, UsageError> => {
  if (flags.concurrency < 1 || flags.concurrency > 1024) {
    return Effect.fail(usage(`--concurrency must be from 1 to 1024; got ${flags.concurrency}`))
  }
  if (!(flags.rate > 0)) {
    return Effect.fail(usage(`--rate must be a positive number of requests per second; got ${flags.rate}`))
  }
  if (Option.isSome(flags.maxDeletions) && flags.maxDeletions.value < 0) {
    return Effect.fail(usage(`--max-deletions must be 0 or more; got ${flags.maxDeletions.value}`))
  }
  if (Option.isSome(flags.language) && !/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(flags.language.value)) {
    return Effect.fail(
      usage(`--language must be a language tag such as en-GB; got ${JSON.stringify(flags.language.value)}`)
    )
  }
  return Effect.void
}

/** The client layer from the environment, or a usage error naming the missing setting. @internal */
export const clientLayer = Effect.gen(function*() {
  const settings = yield* AppleMusicConfig.load.pipe(
    Effect.mapError((error) => usage(error.message))
  )
  return NodeAppleMusic.layer({
    baseUrl: settings.baseUrl,
    userToken: settings.userToken,
    developerToken: settings.developerToken._tag === "Token"
      ? settings.developerToken.token
      : settings.developerToken.material,
    rate: Infinity
  })
})

const openJournal = (path: Option.Option<string>) =>
  Option.match(path, {
    onNone: () => Effect.succeed(undefined),
    onSome: (file) => Effect.mapError(JournalFile.make(file), (error) => usage(error.message))
  })

const engineOptions = (flags: BatchFlags) => ({
  concurrency: flags.concurrency,
  rate: flags.rate,
  dryRun: flags.dryRun,
  ...(Option.isSome(flags.maxDeletions) ? { maxDeletions: flags.maxDeletions.value } : {}),
  ...(Option.isSome(flags.language) ? { language: flags.language.value } : {})
})

const countIds = (path: string): Effect.Effect<number | undefined> =>
  Effect.promise(async () => {
    try {
      let count = 0
      let partial = ""
      for await (const chunk of Fs.createReadStream(path, { encoding: "utf8" })) {
        const lines = (partial + chunk).split("\n")
        partial = lines.pop() ?? ""
        for (const line of lines) {
          const trimmed = line.trim()
          if (trimmed !== "" && !trimmed.startsWith("#")) count++
        }
      }
      const last = partial.trim()
      return last !== "" && !last.startsWith("#") ? count + 1 : count
    } catch {
      return undefined
    }
  })

const stdinIds = (stdin: NodeJS.ReadableStream) =>
  IdsFile.parse(
    Stream.fromAsyncIterable(stdin as AsyncIterable<Buffer | string>, (error) =>
      usage(`cannot read stdin: ${String(error)}`)).pipe(
        Stream.map((chunk) =>
          typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk)
        ),
        Stream.decodeText()
      )
  )

/** Opens the journal, wires progress and Ctrl-C, and runs a batch with the client. */
const runEngine = <E, R>(
  label: string,
  flags: BatchFlags,
  client: Layer.Layer<AppleMusicRatings.AppleMusicRatings, AppleMusicConfig.ConfigurationError>,
  total: number | undefined,
  start: (options: Batch.Options) => Effect.Effect<Batch.Summary, E, R>
) =>
  Effect.gen(function*() {
    const io = yield* ProcessTag
    const progress = yield* makeProgress(label, { json: flags.json, total })
    yield* io.stopGracefully
    return yield* Effect.gen(function*() {
      const journal = yield* openJournal(flags.journal)
      return yield* start({
        ...engineOptions(flags),
        ...(journal === undefined ? {} : { journal }),
        ...(total === undefined ? {} : { total }),
        ...(progress.onProgress === undefined ? {} : progress),
        stop: io.stopRequested
      })
    }).pipe(
      Effect.scoped,
      Effect.provide(client),
      Effect.catchIf(
        (error): error is E & Journal.JournalError => Predicate.isTagged(error, "JournalError"),
        (error) => Effect.fail(usage(error.message))
      )
    )
  })

const finish = (
  command: "delete" | "sweep",
  kind: string,
  flags: BatchFlags,
  summary: Batch.Summary
) =>
  Effect.gen(function*() {
    const io = yield* ProcessTag
    yield* io.stdout(
      flags.json
        ? `${JSON.stringify(batchJson(command, kind, summary))}\n`
        : batchText(command, kind, summary, Option.getOrUndefined(flags.journal))
    )
    yield* io.setExitCode(exitCodeOf(summary.stoppedBy, summary.failed + summary.invalid))
  })

/** `unrate delete <kind> [id...] [--ids-file PATH|-] …` @internal */
export const deleteCommand = Command.make(
  "delete",
  {
    kind: Args.text({ name: "kind" }).pipe(Args.withDescription("a rating kind, e.g. library-songs or songs")),
    ids: Args.text({ name: "id" }).pipe(Args.repeated),
    idsFile: Options.text("ids-file").pipe(
      Options.withDescription("a file of ids, one per line (blank lines and # comments ignored); - reads stdin"),
      Options.optional
    ),
    ...batchOptions
  },
  (flags) =>
    Effect.gen(function*() {
      const io = yield* ProcessTag
      const kind = yield* Either.match(RatingKind.parse(flags.kind), {
        onLeft: (problem) => Effect.fail(usage(problem)),
        onRight: Effect.succeed
      })
      yield* checkFlags(flags)
      if (flags.ids.length === 0 && Option.isNone(flags.idsFile)) {
        return yield* usage("no ids: give ids as arguments, or --ids-file PATH (one id per line; - reads stdin)")
      }
      if (Option.isSome(flags.idsFile) && flags.idsFile.value !== "-" && !Fs.existsSync(flags.idsFile.value)) {
        return yield* usage(`--ids-file: no such file ${JSON.stringify(flags.idsFile.value)}`)
      }
      const client = yield* clientLayer
      const fileIds: Stream.Stream<string, UsageError | PlatformError, FileSystem.FileSystem> = Option.match(
        flags.idsFile,
        {
          onNone: () => Stream.empty,
          onSome: (path) => path === "-" ? stdinIds(io.stdin) : IdsFile.fromFile(path)
        }
      )
      const fileCount = Option.isSome(flags.idsFile) && flags.idsFile.value !== "-"
        ? yield* countIds(flags.idsFile.value)
        : undefined
      const total = Option.isNone(flags.idsFile)
        ? flags.ids.length
        : fileCount === undefined
        ? undefined
        : fileCount + flags.ids.length
      const targets = Stream.concat(Stream.fromIterable(flags.ids), fileIds).pipe(
        Stream.map((id): Batch.Target => ({ kind, id }))
      )
      const summary = yield* runEngine(`delete ${kind}`, flags, client, total, (options) => Batch.run(targets, options))
      yield* finish("delete", kind, flags, summary)
    })
).pipe(Command.withDescription("Delete ratings of one kind by id."))

/** `unrate sweep <library-kind> [--value like|dislike|all] …` @internal */
export const sweepCommand = Command.make(
  "sweep",
  {
    kind: Args.text({ name: "library-kind" }).pipe(
      Args.withDescription("library-songs, library-albums, library-music-videos or library-playlists")
    ),
    value: Options.choice("value", ["like", "dislike", "all"]).pipe(
      Options.withDescription("which ratings to delete"),
      Options.withDefault("dislike" as const)
    ),
    ...batchOptions
  },
  (flags) =>
    Effect.gen(function*() {
      const kind = yield* Either.match(RatingKind.parseLibrary(flags.kind), {
        onLeft: (problem) => Effect.fail(usage(problem)),
        onRight: Effect.succeed
      })
      yield* checkFlags(flags)
      const client = yield* clientLayer
      const summary = yield* runEngine(
        `sweep ${kind}`,
        flags,
        client,
        undefined,
        (options) => Batch.sweep(kind, { ...options, value: flags.value })
      )
      yield* finish("sweep", kind, flags, summary)
    })
).pipe(Command.withDescription("Delete every like, dislike or rating of a library kind."))

/** `unrate restore --journal PATH [--json]` @internal */
export const restoreCommand = Command.make(
  "restore",
  {
    journal: Options.text("journal").pipe(Options.withDescription("the journal of a delete or sweep")),
    json: batchOptions.json
  },
  (flags) =>
    Effect.gen(function*() {
      const io = yield* ProcessTag
      if (!Fs.existsSync(flags.journal)) return yield* usage(`--journal: no such file ${JSON.stringify(flags.journal)}`)
      const client = yield* clientLayer
      const progress = yield* makeProgress("restore", { json: flags.json })
      yield* io.stopGracefully
      const summary = yield* Effect.gen(function*() {
        const journal = yield* openJournal(Option.some(flags.journal))
        return yield* Batch.restore(journal!, {
          ...(progress.onProgress === undefined ? {} : progress),
          stop: io.stopRequested
        })
      }).pipe(
        Effect.scoped,
        Effect.provide(client),
        Effect.catchTag("JournalError", (error) => Effect.fail(usage(error.message)))
      )
      yield* io.stdout(
        flags.json ? `${JSON.stringify(restoreJson(summary))}\n` : restoreText(flags.journal, summary)
      )
      yield* io.setExitCode(exitCodeOf(summary.stoppedBy, summary.failed))
    })
).pipe(Command.withDescription("Put back every rating a journal says was deleted, with its old value."))
