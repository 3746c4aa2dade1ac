import type { Batch } from "@unrate/core"
import CliProgress from "cli-progress"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Runs from "./runs.js"
import { exitCodes, ProcessTag, withHint } from "./runtime.js"

/** The exit code a batch summary calls for. @internal */
export const exitCodeOf = (stoppedBy: Batch.StopReason | null, failedOrInvalid: number): number => {
  if (stoppedBy === "Unauthorized" || stoppedBy === "Forbidden") return exitCodes.refused
  if (stoppedBy === "Interrupted") return exitCodes.interrupted
  if (stoppedBy !== null || failedOrInvalid > 0) return exitCodes.failed
  return exitCodes.ok
}

/** The `--json` object of `delete` and `sweep`, keys in the documented order. @internal */
export const batchJson = (
  command: "delete" | "sweep",
  kind: string,
  summary: Batch.Summary,
  journal: string | null
): Record<string, unknown> => ({
  command,
  kind,
  requested: summary.requested,
  deleted: summary.deleted,
  absent: summary.absent,
  failed: summary.failed,
  invalid: summary.invalid,
  skipped: summary.skipped,
  planned: summary.planned,
  dryRun: summary.dryRun,
  stoppedBy: summary.stoppedBy,
  journal,
  failures: summary.failures.map((failure) => ({ id: failure.id, error: failure.error, message: failure.message })),
  ...(command === "sweep" ? { scanned: summary.scanned, matched: summary.matched } : {}),
  rate: rateJson(summary)
})

/** Requests per second, rounded to a tenth; null for no limit (JSON has no Infinity). */
const perSecond = (rate: number): number | null => Number.isFinite(rate) ? Math.round(rate * 10) / 10 : null

/** The limiter's rate at the end and at its peak, for `--json`; null when the client paced itself. @internal */
export const rateJson = (summary: Batch.Summary): { final: number | null; peak: number | null } | null =>
  summary.rate === undefined ? null : { final: perSecond(summary.rate.final), peak: perSecond(summary.rate.peak) }

const plural = (n: number, word: string) => `${n.toLocaleString("en")} ${word}`

const failureLines = (failures: ReadonlyArray<Batch.Failure>, total: number, limit = 20): Array<string> => {
  const lines = failures.slice(0, limit).map((failure) =>
    `  ${failure.error}: ${withHint(failure.error, failure.message)}`
  )
  const shown = Math.min(limit, failures.length)
  if (total > shown) lines.push(`  … and ${(total - shown).toLocaleString("en")} more (see the journal)`)
  return lines
}

/** A short human summary of a batch. @internal */
export const batchText = (
  command: "delete" | "sweep",
  kind: string,
  summary: Batch.Summary,
  journal: string | null,
  automatic: boolean
): string => {
  const counts = [
    plural(summary.deleted, "deleted"),
    plural(summary.absent, "absent"),
    plural(summary.failed, "failed"),
    plural(summary.invalid, "invalid"),
    plural(summary.skipped, "skipped"),
    ...(summary.dryRun ? [plural(summary.planned, "planned (dry run)")] : [])
  ].join(", ")
  const lines = [
    command === "sweep"
      ? `unrate sweep ${kind}: ${plural(summary.scanned, "scanned")}, ${plural(summary.matched, "matched")}; ${counts}`
      : `unrate delete ${kind}: ${plural(summary.requested, "requested")}; ${counts}`,
    ...failureLines(summary.failures, summary.failed + summary.invalid)
  ]
  if (summary.capReached) lines.push("stopped at the --max-deletions cap")
  if (summary.stoppedBy !== null) {
    lines.push(`stopped by ${summary.stoppedBy}: ${withHint(summary.stoppedBy, summary.stopMessage ?? "")}`)
  }
  if (journal !== null) {
    lines.push(
      automatic
        ? `journal: ${journal} (undo with: unrate restore --last; resume with --journal ${journal})`
        : `journal: ${journal} (resume with the same command; undo with: unrate restore --journal ${journal})`
    )
  } else if (!summary.dryRun && summary.stoppedBy !== "Declined") {
    lines.push("journal: none (--no-journal): this run cannot be undone")
  }
  return `${lines.join("\n")}\n`
}

/**
 * What the journal could not take, for stderr: these outcomes happened but are in no file, so they are
 * printed with their values for the person to keep.
 *
 * @internal
 */
export const unrecordedText = (unrecorded: ReadonlyArray<Batch.Unrecorded>): string =>
  unrecorded.length === 0 ? "" : [
    `unrate: the journal could not record ${unrecorded.length} outcome(s); keep these lines (a value of 1 is a like, -1 a dislike):`,
    ...unrecorded.map((entry) =>
      `  ${entry.outcome} ${entry.kind} ${entry.id}${entry.value === undefined ? "" : ` value ${entry.value}`}`
    )
  ].join("\n") + "\n"

/** The `--json` object of `restore`. @internal */
export const restoreJson = (summary: Batch.Summary, journal: string): Record<string, unknown> => ({
  command: "restore",
  restored: summary.restored,
  failed: summary.failed,
  skipped: summary.skipped,
  planned: summary.planned,
  dryRun: summary.dryRun,
  stoppedBy: summary.stoppedBy,
  journal,
  failures: summary.failures.map((failure) => ({ id: failure.id, error: failure.error, message: failure.message })),
  rate: rateJson(summary)
})

/** @internal */
export const restoreText = (journal: string, summary: Batch.Summary): string =>
  [
    `unrate restore ${journal}: ${plural(summary.restored, "restored")}, ${plural(summary.failed, "failed")}, ${
      plural(summary.skipped, "skipped")
    } (already restored)${summary.dryRun ? `, ${plural(summary.planned, "planned (dry run)")}` : ""}`,
    ...failureLines(summary.failures, summary.failed),
    ...(summary.stoppedBy === null
      ? []
      : [`stopped by ${summary.stoppedBy}: ${withHint(summary.stoppedBy, summary.stopMessage ?? "")}`])
  ].join("\n") + "\n"

/** The `--json` object of `runs`. @internal */
export const runsJson = (runs: ReadonlyArray<Runs.Run>): Record<string, unknown> => ({
  command: "runs",
  runs: runs.map((run) => ({
    at: run.at,
    command: run.command,
    kind: run.kind,
    journal: run.journal,
    state: run.state,
    ...(run.counts ?? {})
  }))
})

/** A table of past runs, newest first. @internal */
export const runsText = (runs: ReadonlyArray<Runs.Run>, directory: string): string => {
  if (runs.length === 0) return `no runs recorded yet (they are listed in ${directory}/index.jsonl)\n`
  const rows = runs.map((run) => [
    run.at.replace("T", " ").replace(/\.\d+Z$/, ""),
    run.command,
    run.kind,
    run.counts === undefined ? "-" : run.counts.deleted.toLocaleString("en"),
    run.counts === undefined ? "-" : (run.counts.failed + run.counts.invalid).toLocaleString("en"),
    run.state,
    run.journal
  ])
  const table = [["WHEN (UTC)", "COMMAND", "KIND", "DELETED", "FAILED", "STATE", "JOURNAL"], ...rows]
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)))
  return table.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd())
    .join("\n") + "\n" + "undo the newest with: unrate restore --last; any other with: unrate restore --journal PATH\n"
}

const eta = (seconds: number | undefined) =>
  seconds === undefined || !Number.isFinite(seconds)
    ? "?"
    : seconds < 90
    ? `${Math.ceil(seconds)} s`
    : `${Math.ceil(seconds / 60)} min`

const settledOf = (progress: Batch.Progress) =>
  progress.deleted + progress.restored + progress.absent + progress.failed + progress.invalid + progress.skipped +
  progress.planned

/** The counts of a snapshot that happened (failures always): the same words for delete, sweep and restore. */
const countsText = (progress: Batch.Progress): string =>
  ([
    [progress.deleted, "deleted"],
    [progress.restored, "restored"],
    [progress.absent, "absent"],
    [progress.failed + progress.invalid, "failed"],
    [progress.skipped, "skipped"],
    [progress.planned, "planned"]
  ] as const).filter(([n, word]) => n > 0 || word === "failed").map(([n, word]) => `${n} ${word}`).join(", ")

/**
 * What the bar counts: during a sweep's scan, library items scanned of the
 * library's size (the count so far when unknown); otherwise targets settled of
 * the total (a sweep's matches so far when it has no total). @internal
 */
export const phaseOf = (progress: Batch.Progress): {
  readonly phase: "scan" | "delete"
  readonly done: number
  readonly of: number | undefined
} => {
  const settled = settledOf(progress)
  if (progress.total !== undefined) return { phase: "delete", done: settled, of: progress.total }
  if (progress.scanned > 0 && settled === 0 && !progress.done) {
    const size = progress.libraryTotal
    return {
      phase: "scan",
      done: progress.scanned,
      of: size === undefined ? undefined : Math.max(size, progress.scanned)
    }
  }
  return { phase: "delete", done: settled, of: progress.matched > 0 ? progress.matched : undefined }
}

/**
 * Seconds to go. During a sweep's scan: what is left of the library at the
 * scan's pace, after its first second. Otherwise the engine's estimate when it
 * has one, or what is left of the matches at the limiter's rate (rough, but a
 * number once there is a rate).
 *
 * @internal
 */
export const etaOf = (progress: Batch.Progress): number | undefined => {
  const { done, of, phase } = phaseOf(progress)
  if (phase === "scan") {
    const seconds = progress.elapsedMillis / 1000
    return of === undefined || seconds < 1 ? undefined : Math.max(0, of - done) / (done / seconds)
  }
  if (progress.etaSeconds !== undefined) return progress.etaSeconds
  const pace = progress.rate !== undefined && Number.isFinite(progress.rate) && progress.rate > 0
    ? Math.min(progress.rate, progress.settledPerSecond > 0 ? Math.max(progress.settledPerSecond, 1) : progress.rate)
    : progress.settledPerSecond
  return of === undefined || !(pace > 0) ? undefined : Math.max(0, of - done) / pace
}

const rateText = (progress: Batch.Progress) =>
  progress.rate === undefined || !Number.isFinite(progress.rate) ? "" : ` (limit ${Math.round(progress.rate)})`

/**
 * One plain progress line, at most `width` columns: the breakdown of the counts
 * and the retries go first when it would not fit; counts, rate and ETA stay.
 *
 * @internal
 */
export const progressLine = (label: string, progress: Batch.Progress, width = 80): string => {
  const { done, of, phase } = phaseOf(progress)
  const sized = phase === "scan" && of !== undefined
  const scan = progress.scanned > 0 ? `${progress.scanned} scanned, ${progress.matched} matched; ` : ""
  const counts = sized ? `scanned ${done} of ${of}` : `${done}${of === undefined ? "" : `/${of}`} done`
  const head = sized ? `${label}: ${counts}, ${progress.matched} matched` : `${label}: ${scan}${counts}`
  const speed = `${progress.requestsPerSecond.toFixed(1)} req/s${rateText(progress)}`
  const tail = `ETA ${eta(etaOf(progress))}`
  const candidates = [
    `${head} (${countsText(progress)}), ${speed}, ${progress.retries} retries, ${tail}`,
    `${head}, ${speed}, ${progress.retries} retries, ${tail}`,
    `${head}, ${speed}, ${tail}`,
    `${label}: ${counts}, ${speed}, ${tail}`
  ]
  return `${candidates.find((line) => line.length <= width) ?? candidates[candidates.length - 1]!}\n`
}

/**
 * A batch's progress display, and a way to hold it while a question is asked.
 *
 * @internal
 */
export interface Progress {
  readonly onProgress: ((progress: Batch.Progress) => Effect.Effect<void>) | undefined
  /** `onProgress` and its interval, to spread into the engine's options. */
  readonly options: {
    readonly onProgress?: (progress: Batch.Progress) => Effect.Effect<void>
    readonly progressInterval?: Duration.DurationInput
  }
  /** Runs `effect` with the display cleared and quiet, then lets it draw again. */
  readonly hold: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

const quiet: Progress = { onProgress: undefined, options: {}, hold: (effect) => effect }

const progressOf = (
  draw: (progress: Batch.Progress) => Effect.Effect<void>,
  interval: Duration.DurationInput,
  clear: () => void
): Progress => {
  let held = false
  const onProgress = (progress: Batch.Progress) => held ? Effect.void : draw(progress)
  return {
    onProgress,
    options: { onProgress, progressInterval: interval },
    hold: (effect) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          held = true
          clear()
        }),
        () => effect,
        () => Effect.sync(() => void (held = false))
      )
  }
}

/**
 * Progress on stderr: a live bar on a TTY, a plain line every few seconds
 * otherwise, nothing with `--json`.
 *
 * @internal
 */
export const makeProgress = (
  label: string,
  options: { readonly json: boolean; readonly total?: number | undefined }
) =>
  Effect.gen(function*() {
    const io = yield* ProcessTag
    if (options.json) return quiet
    if (!io.stderrIsTTY) {
      return progressOf((progress) => io.stderr(progressLine(label, progress)), "5 seconds", () => undefined)
    }
    const bar = new CliProgress.SingleBar({
      stream: process.stderr,
      format: `${label} {bar} {value}/{totalText} | {counts}{rps} req/s | ETA {etaText}`,
      barsize: Math.max(10, Math.min(40, (process.stderr.columns ?? 80) - 64)),
      barCompleteChar: "█",
      barIncompleteChar: "░",
      hideCursor: true,
      clearOnComplete: false,
      forceRedraw: true,
      fps: 10
    }, CliProgress.Presets.shades_classic)
    let started = false
    const draw = (progress: Batch.Progress) =>
      Effect.sync(() => {
        const { done: settled, of, phase } = phaseOf(progress)
        const total = of ?? Math.max(progress.requested, settled, 1)
        const wide = (process.stderr.columns ?? 80) >= 110
        const payload = {
          totalText: `${of === undefined ? `${total}…` : String(total)}${phase === "scan" ? " scanned" : ""}`,
          counts: wide ? `${countsText(progress)} | ` : "",
          rps: `${progress.requestsPerSecond.toFixed(1)}${rateText(progress)}`,
          etaText: progress.done ? "done" : eta(etaOf(progress))
        }
        if (!started) {
          bar.start(total, settled, payload)
          started = true
        } else {
          bar.setTotal(total)
          bar.update(settled, payload)
        }
        if (progress.done) bar.stop()
      })
    return progressOf(draw, "200 millis", () => {
      if (started) bar.stop()
      started = false
      process.stderr.write("\n")
    })
  })
