import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import type { AppleMusicRatings } from "@unrate/core"
import { Batch, LanguageTag, RatingKind } from "@unrate/core"
import { AppleMusicClient, AppleMusicConfig, IdsFile, JournalFile, NodeAppleMusic } from "@unrate/platform"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Path from "node:path"
import * as Colour from "./colour.js"
import type { deleteConfig, Flags, restoreConfig, runsConfig, sweepConfig } from "./definitions.js"
import { runEngine } from "./engine.js"
import type { Progress } from "./output.js"
import {
  batchJson,
  batchText,
  exitCodeOf,
  restoreJson,
  restoreText,
  runsJson,
  runsText,
  unrecordedText
} from "./output.js"
import * as Runs from "./runs.js"
import type { Process } from "./runtime.js"
import { ProcessTag, UsageError } from "./runtime.js"

interface BatchFlags {
  readonly language: Option.Option<string>
  readonly concurrency: number
  readonly rate: Option.Option<number>
  readonly initialRate: number
  readonly fixedRate: boolean
  readonly journal: Option.Option<string>
  readonly noJournal: boolean
  readonly maxDeletions: Option.Option<number>
  readonly dryRun: boolean
  readonly yes: boolean
  readonly json: boolean
}

/** Below this many requests per second a batch would take days, and a typo (`1e-7`) is likelier than intent. */
const minimumRate = 0.1

const usage = (problem: string) => new UsageError({ problem })

/** The speed flags every batch command shares. @internal */
export interface SpeedFlags {
  readonly concurrency: number
  readonly rate: Option.Option<number>
  readonly initialRate: number
  readonly fixedRate: boolean
}

const rateProblem = (flag: string, rate: number) =>
  rate >= minimumRate && Number.isFinite(rate)
    ? undefined
    : `${flag} must be a number of requests per second from ${minimumRate} up; got ${rate}`

/** A problem with the speed flags every batch command shares, if any. @internal */
export const speedProblem = (flags: SpeedFlags): string | undefined => {
  if (flags.concurrency < 1 || flags.concurrency > 1024) {
    return `--concurrency must be from 1 to 1024; got ${flags.concurrency}`
  }
  if (flags.fixedRate && Option.isNone(flags.rate)) return "--fixed-rate needs --rate N: the rate to keep to"
  return (Option.isSome(flags.rate) ? rateProblem("--rate", flags.rate.value) : undefined) ??
    rateProblem("--initial-rate", flags.initialRate)
}

/** The engine's rate options from the flags: a ceiling (or none), the rate to start at, or a fixed rate. @internal */
export const rateOptions = (flags: SpeedFlags) => ({
  ...(Option.isSome(flags.rate) ? { rate: flags.rate.value } : {}),
  initialRate: flags.initialRate,
  fixedRate: flags.fixedRate
})

const flagsProblem = (flags: BatchFlags): string | undefined => {
  if (Option.isSome(flags.journal) && flags.noJournal) {
    return "--journal and --no-journal contradict each other: give one"
  }
  if (Option.isSome(flags.maxDeletions) && flags.maxDeletions.value < 0) {
    return `--max-deletions must be 0 or more; got ${flags.maxDeletions.value}`
  }
  if (Option.isSome(flags.language) && !LanguageTag.isLanguageTag(flags.language.value)) {
    return `--language must be a language tag such as en-GB; got ${JSON.stringify(flags.language.value)}`
  }
  return speedProblem(flags)
}

/** @internal */
export const checkFlags = (flags: BatchFlags): Effect.Effect<void, UsageError> => {
  const problem = flagsProblem(flags)
  return problem === undefined ? Effect.void : Effect.fail(usage(problem))
}

/** The client layer from the environment, or a usage error naming the missing setting. @internal */
export const clientLayer = Effect.gen(function*() {
  const settings = yield* AppleMusicConfig.load.pipe(
    Effect.mapError((error) => usage(error.message))
  )
  return NodeAppleMusic.layer({ ...AppleMusicClient.fromLoaded(settings), rate: Infinity })
})

const engineOptions = (flags: BatchFlags) => ({
  concurrency: flags.concurrency,
  ...rateOptions(flags),
  dryRun: flags.dryRun,
  ...(Option.isSome(flags.maxDeletions) ? { maxDeletions: flags.maxDeletions.value } : {}),
  ...(Option.isSome(flags.language) ? { language: flags.language.value } : {})
})

/** Counts the ids of a regular file, for the progress bar; a pipe is read only once, by the batch. */
const countIds = (path: string) =>
  IdsFile.count(path).pipe(Effect.map(Option.getOrUndefined), Effect.orElseSucceed(() => undefined))

const stdinIds = (stdin: NodeJS.ReadableStream) =>
  IdsFile.fromBytes(
    Stream.fromAsyncIterable(stdin as AsyncIterable<Buffer | string>, (error) =>
      usage(`cannot read stdin: ${String(error)}`)).pipe(
        Stream.map((chunk) =>
          typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk)
        )
      )
  )

/** Where a run's journal goes: `--journal`, else a new file under the runs directory; none for dry runs. */
const journalPathOf = (command: "delete" | "sweep", kind: string, flags: BatchFlags) =>
  Option.isSome(flags.journal)
    ? Effect.succeed<string | undefined>(flags.journal.value)
    : flags.noJournal || flags.dryRun
    ? Effect.succeed(undefined)
    : Runs.newJournalPath(command, kind)

const sameFile = (a: string, b: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const [x, y] = yield* Effect.all([fs.stat(a), fs.stat(b)])
    return Option.isSome(x.ino) && Option.isSome(y.ino)
      ? x.dev === y.dev && x.ino.value === y.ino.value
      : Path.resolve(a) === Path.resolve(b)
  }).pipe(Effect.orElseSucceed(() => Path.resolve(a) === Path.resolve(b)))

const exists = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.exists(path)).pipe(Effect.orElseSucceed(() => false))

const openJournal = (path: string | undefined) =>
  path === undefined
    ? Effect.succeed(undefined)
    : Effect.mapError(JournalFile.make(path), (error) => usage(error.message))

/** Whether a large run is put as a question first: only to a person at a terminal, without `--yes`, for real. */
const asks = (io: Process, flags: BatchFlags): boolean => io.stdinIsTTY && !flags.yes && !flags.dryRun

/** Asks a person before deleting, when one is there to answer and nobody said `--yes` or `--dry-run`. */
const confirmation = (io: Process, flags: BatchFlags, question: string) =>
  Effect.gen(function*() {
    if (!asks(io, flags)) return true
    const answer = yield* io.ask(`${question} [y/N] `)
    return /^(y|yes)$/i.test(answer.trim())
  })

const valueWords = { like: "likes", dislike: "dislikes", all: "ratings" } as const

/** The journal of a delete or sweep, opened, and recorded in the list of runs unless it is a dry run. */
const runJournal = (
  path: string | undefined,
  run: { readonly command: "delete" | "sweep"; readonly kind: string },
  dryRun: boolean
) =>
  Effect.gen(function*() {
    const journal = yield* openJournal(path)
    if (path !== undefined && !dryRun) yield* Runs.recordRun({ ...run, journal: path })
    return journal
  })

/** Runs a delete or sweep with its journal, progress and Ctrl-C, and answers its summary and journal path. */
const runBatch = <E, R>(
  run: { readonly command: "delete" | "sweep"; readonly kind: string; readonly total: number | undefined },
  flags: BatchFlags,
  client: Layer.Layer<AppleMusicRatings.AppleMusicRatings, AppleMusicConfig.ConfigurationError>,
  start: (options: Batch.Options, progress: Progress) => Effect.Effect<Batch.Summary, E, R>
) =>
  Effect.gen(function*() {
    const path = yield* journalPathOf(run.command, run.kind, flags)
    const summary = yield* runEngine({
      label: `${run.command} ${run.kind}`,
      json: flags.json,
      total: run.total,
      journal: runJournal(path, run, flags.dryRun),
      client
    }, ({ journal, options, progress }) =>
      start({
        ...engineOptions(flags),
        ...(journal === undefined ? {} : { journal }),
        ...(run.total === undefined ? {} : { total: run.total }),
        ...options
      }, progress))
    return { summary, journal: path === undefined ? null : Path.resolve(path) }
  })

const finish = (
  command: "delete" | "sweep",
  kind: string,
  flags: BatchFlags,
  result: { readonly summary: Batch.Summary; readonly journal: string | null }
) =>
  Effect.gen(function*() {
    const io = yield* ProcessTag
    const automatic = Option.isNone(flags.journal)
    yield* io.stderr(unrecordedText(result.summary.unrecorded))
    yield* io.stdout(
      flags.json
        ? `${JSON.stringify(batchJson(command, kind, result.summary, result.journal))}\n`
        : Colour.paintSummary(
          batchText(command, kind, result.summary, result.journal, automatic),
          Colour.forStream("stdout")
        )
    )
    yield* io.setExitCode(exitCodeOf(result.summary.stoppedBy, result.summary.failed + result.summary.invalid))
  })

const kindOf = <K extends RatingKind.RatingKind>(parsed: Either.Either<K, string>) =>
  Either.match(parsed, { onLeft: (problem) => Effect.fail(usage(problem)), onRight: Effect.succeed })

/**
 * The ids of a delete: the arguments, then the ids file (`-`: stdin), and how
 * many when that is known and `counted` (counting reads the file once more
 * before the run; only the progress display and the question use the count).
 */
const deleteTargets = (
  kind: RatingKind.RatingKind,
  ids: ReadonlyArray<string>,
  idsFile: Option.Option<string>,
  counted: boolean
) =>
  Effect.gen(function*() {
    const io = yield* ProcessTag
    const fileIds: Stream.Stream<string, UsageError | PlatformError, FileSystem.FileSystem> = Option.match(idsFile, {
      onNone: () => Stream.empty,
      onSome: (path) => path === "-" ? stdinIds(io.stdin) : IdsFile.fromFile(path)
    })
    const fileCount = counted && Option.isSome(idsFile) && idsFile.value !== "-"
      ? yield* countIds(idsFile.value)
      : undefined
    const total = Option.isNone(idsFile) ? ids.length : fileCount === undefined ? undefined : fileCount + ids.length
    const targets = Stream.concat(Stream.fromIterable(ids), fileIds).pipe(
      Stream.map((id): Batch.Target => ({ kind, id }))
    )
    return { targets, total }
  })

/** More ids than this in one `delete` and a person at a terminal is asked first. */
const askAbove = 100

/** `unrate delete <kind> [id...] [--ids-file PATH|-] …` @internal */
export const runDelete = (flags: Flags<typeof deleteConfig>) =>
  Effect.gen(function*() {
    const kind = yield* kindOf(RatingKind.parse(flags.kind))
    yield* checkFlags(flags)
    if (flags.ids.length === 0 && Option.isNone(flags.idsFile)) {
      return yield* usage("no ids: give ids as arguments, or --ids-file PATH (one id per line; - reads stdin)")
    }
    if (Option.isSome(flags.idsFile) && flags.idsFile.value !== "-") {
      if (!(yield* exists(flags.idsFile.value))) {
        return yield* usage(`--ids-file: no such file ${JSON.stringify(flags.idsFile.value)}`)
      }
      if (Option.isSome(flags.journal) && (yield* sameFile(flags.idsFile.value, flags.journal.value))) {
        return yield* usage("--ids-file and --journal name the same file: the journal would overwrite the ids")
      }
    }
    const client = yield* clientLayer
    const counted = !flags.json || asks(yield* ProcessTag, flags)
    const { targets, total } = yield* deleteTargets(kind, flags.ids, flags.idsFile, counted)
    if (total === undefined || total > askAbove) {
      const what = total === undefined ?
        `the ratings listed in ${Option.getOrElse(flags.idsFile, () => "")}` :
        `${total.toLocaleString("en")} ratings`
      if (!(yield* confirmation(yield* ProcessTag, flags, `Delete ${what} of ${kind}?`))) {
        return yield* finish("delete", kind, flags, { summary: Batch.declined(total ?? 0), journal: null })
      }
    }
    const result = yield* runBatch(
      { command: "delete", kind, total },
      flags,
      client,
      (options) => Batch.run(targets, options)
    )
    yield* finish("delete", kind, flags, result)
  })

/** `unrate sweep <library-kind> [--value like|dislike|all] …` @internal */
export const runSweep = (flags: Flags<typeof sweepConfig>) =>
  Effect.gen(function*() {
    const io = yield* ProcessTag
    const kind = yield* kindOf(RatingKind.parseLibrary(flags.kind))
    yield* checkFlags(flags)
    const client = yield* clientLayer
    const result = yield* runBatch(
      { command: "sweep", kind, total: undefined },
      flags,
      client,
      (options, progress) =>
        Batch.sweep(kind, {
          ...options,
          value: flags.value,
          confirm: (found) =>
            progress.hold(confirmation(
              io,
              flags,
              `Delete ${found.matched.toLocaleString("en")} ${valueWords[found.value]} of ${found.kind} (of ${
                found.scanned.toLocaleString("en")
              } scanned)?`
            ))
        })
    )
    yield* finish("sweep", kind, flags, result)
  })

/** The journal `restore` reads: `--journal PATH`, or with `--last` the newest run's. */
const restoreJournal = (flags: { readonly journal: Option.Option<string>; readonly last: boolean }) =>
  Effect.gen(function*() {
    if (Option.isSome(flags.journal) === flags.last) {
      return yield* usage("say which run to undo: --journal PATH, or --last for the newest (see unrate runs)")
    }
    if (Option.isSome(flags.journal)) {
      if (!(yield* exists(flags.journal.value))) {
        return yield* usage(`--journal: no such file ${JSON.stringify(flags.journal.value)}`)
      }
      return flags.journal.value
    }
    const newest = (yield* Runs.listRuns).find((run) => run.state !== "nothing to restore")
    if (newest === undefined) {
      return yield* usage(`--last: no run with deletions to undo is recorded in ${yield* Runs.runsDirectory}`)
    }
    if (newest.counts === undefined) {
      return yield* usage(`--last: the newest run's journal ${newest.journal} is gone`)
    }
    return newest.journal
  })

/** `unrate restore (--journal PATH | --last) [--rate N] [--concurrency N] [--dry-run] [--json]` @internal */
export const runRestore = (flags: Flags<typeof restoreConfig>) =>
  Effect.gen(function*() {
    const io = yield* ProcessTag
    const problem = speedProblem(flags)
    if (problem !== undefined) return yield* usage(problem)
    const path = yield* restoreJournal(flags)
    const summary = yield* runEngine(
      { label: "restore", json: flags.json, journal: JournalFile.make(path), client: yield* clientLayer },
      ({ journal, options }) =>
        Batch.restore(journal, {
          concurrency: flags.concurrency,
          ...rateOptions(flags),
          dryRun: flags.dryRun,
          ...options
        })
    )
    const journal = Path.resolve(path)
    yield* io.stderr(unrecordedText(summary.unrecorded))
    yield* io.stdout(
      flags.json
        ? `${JSON.stringify(restoreJson(summary, journal))}\n`
        : Colour.paintSummary(restoreText(journal, summary), Colour.forStream("stdout"))
    )
    yield* io.setExitCode(exitCodeOf(summary.stoppedBy, summary.failed))
  })

/** `unrate runs [--json]` @internal */
export const runRuns = (flags: Flags<typeof runsConfig>) =>
  Effect.gen(function*() {
    const io = yield* ProcessTag
    const runs = yield* Runs.listRuns
    yield* io.stdout(
      flags.json ? `${JSON.stringify(runsJson(runs))}\n` : runsText(runs, yield* Runs.runsDirectory)
    )
  })
