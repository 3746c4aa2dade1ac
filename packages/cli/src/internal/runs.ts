import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { UsageError } from "./runtime.js"

/**
 * Past runs: every journaled `delete` and `sweep` is listed in `runs/index.jsonl` under unrate's state
 * directory, so `unrate runs` can show them and `unrate restore --last` can find the newest. Counts are
 * read from the journals themselves, which stay the record of what happened.
 */

/** One line of the index. @internal */
export const RunRecord = Schema.Struct({
  at: Schema.String,
  command: Schema.Literal("delete", "sweep"),
  kind: Schema.String,
  journal: Schema.String
})

/** @internal */
export type RunRecord = typeof RunRecord.Type

const decodeRecord = Schema.decodeUnknownOption(Schema.parseJson(RunRecord))

const privateDir = 0o700
const privateFile = 0o600

/** `$XDG_STATE_HOME/unrate/runs`, else `~/.local/state/unrate/runs`. @internal */
export const runsDirectory = Effect.gen(function*() {
  const path = yield* Path.Path
  const state = yield* Config.string("XDG_STATE_HOME").pipe(Config.option, Effect.orElseSucceed(Option.none))
  if (Option.isSome(state) && path.isAbsolute(state.value)) return path.join(state.value, "unrate", "runs")
  const home = yield* Config.string("HOME").pipe(Config.option, Effect.orElseSucceed(Option.none))
  const base = Option.getOrElse(home, () => process.cwd())
  return path.join(base, ".local", "state", "unrate", "runs")
})

const cannot = (what: string) => (error: { readonly message: string }) =>
  new UsageError({ problem: `cannot ${what}: ${error.message}` })

/** Creates the runs directory (and unrate's state directory) readable by the owner only. */
const ensureRunsDirectory = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const dir = yield* runsDirectory
  yield* fs.makeDirectory(dir, { recursive: true, mode: privateDir }).pipe(
    Effect.mapError(cannot(`create ${dir}`))
  )
  for (const each of [path.dirname(dir), dir]) {
    yield* fs.chmod(each, privateDir).pipe(Effect.mapError(cannot(`make ${each} private`)))
  }
  return dir
})

/** A new journal path for a run: `runs/<time>-<command>-<kind>.jsonl`, in a directory only the owner reads. @internal */
export const newJournalPath = (command: string, kind: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* ensureRunsDirectory
    const stamp = new Date(yield* Clock.currentTimeMillis).toISOString().replace(/[:.]/g, "-")
    for (let n = 1;; n++) {
      const file = path.join(dir, `${stamp}-${command}-${kind}${n === 1 ? "" : `-${n}`}.jsonl`)
      if (!(yield* fs.exists(file).pipe(Effect.orElseSucceed(() => true)))) return file
    }
  })

/** Adds a run to the index. @internal */
export const recordRun = (record: Omit<RunRecord, "at">) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* ensureRunsDirectory
    const at = new Date(yield* Clock.currentTimeMillis).toISOString()
    const line = `${JSON.stringify({ at, ...record, journal: path.resolve(record.journal) })}\n`
    yield* fs.writeFileString(path.join(dir, "index.jsonl"), line, { flag: "a", mode: privateFile }).pipe(
      Effect.mapError(cannot("record the run"))
    )
  })

/** What a journal says happened, counted from its lines. @internal */
export interface RunCounts {
  readonly deleted: number
  readonly absent: number
  readonly failed: number
  readonly invalid: number
  readonly restored: number
  readonly restoreFailed: number
}

const countJournal = (file: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const counts = { deleted: 0, absent: 0, failed: 0, invalid: 0, restored: 0, restoreFailed: 0 }
    const outcomes = yield* fs.stream(file).pipe(
      Stream.decodeText(),
      Stream.splitLines,
      Stream.runFold(new Map<string, string>(), (last, line) => {
        try {
          const entry = JSON.parse(line) as { outcome?: unknown; kind?: unknown; id?: unknown }
          if (typeof entry.outcome === "string" && typeof entry.id === "string") {
            last.set(`${String(entry.kind)}/${entry.id}`, entry.outcome)
          }
        } catch {
          // A cut-off last line.
        }
        return last
      })
    )
    // From each target's last line: a rating deleted again after a restore counts as deleted, not restored.
    for (const outcome of outcomes.values()) {
      if (outcome === "restored") counts.restored++
      if (outcome === "restore-failed") counts.restoreFailed++
      if (["deleted", "intent", "restored", "restore-failed", "restore-intent"].includes(outcome)) counts.deleted++
      else if (outcome === "absent") counts.absent++
      else if (outcome === "failed") counts.failed++
      else if (outcome === "invalid") counts.invalid++
    }
    return counts as RunCounts
  })

/** A past run with what its journal says. @internal */
export interface Run extends RunRecord {
  readonly counts: RunCounts | undefined
  readonly state: "not restored" | "restored" | "partly restored" | "nothing to restore" | "journal missing"
}

const stateOf = (counts: RunCounts | undefined): Run["state"] =>
  counts === undefined
    ? "journal missing"
    : counts.deleted === 0
    ? "nothing to restore"
    : counts.restored === 0
    ? "not restored"
    : counts.restored >= counts.deleted
    ? "restored"
    : "partly restored"

/** The runs in the index, newest first; a journal used by several runs (resumed) is listed once. @internal */
export const listRuns = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const index = path.join(yield* runsDirectory, "index.jsonl")
  if (!(yield* fs.exists(index).pipe(Effect.orElseSucceed(() => false)))) return []
  const text = yield* fs.readFileString(index).pipe(Effect.mapError(cannot(`read ${index}`)))
  const byJournal = new Map<string, RunRecord>()
  for (const line of text.split("\n")) {
    const record = decodeRecord(line)
    if (Option.isSome(record)) {
      byJournal.delete(record.value.journal)
      byJournal.set(record.value.journal, record.value)
    }
  }
  const records = [...byJournal.values()].reverse()
  return yield* Effect.forEach(records, (record) =>
    countJournal(record.journal).pipe(
      Effect.option,
      Effect.map((counts): Run => {
        const known = Option.getOrUndefined(counts)
        return { ...record, counts: known, state: stateOf(known) }
      })
    ))
})
