/**
 * What the journal costs: deletes per second through `Batch.run` with no
 * journal, a journal written without fsync, and a journal synced (fsync)
 * before every intent is acted on (each outcome riding with the next intent), at no rate
 * limit and at 200 requests per second, against the emulator in another
 * process. Targets carry their values (as a sweep's do), so no run looks
 * anything up: the difference is the journal alone.
 *
 * Run: pnpm --filter @unrate/bench bench:journal [quick]
 * (quick: smaller runs, printed without touching docs/benchmarks.md)
 *
 * @since 0.2.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import type { Journal } from "@unrate/core"
import { Batch } from "@unrate/core"
import { JournalFile, NodeAppleMusic } from "@unrate/platform"
import { Effect, Redacted, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { machine, median, startEmulator, writeSection } from "./harness.js"

const quick = process.argv.includes("quick")
const emulator = await startEmulator({ log: false })
const client = NodeAppleMusic.layer({
  baseUrl: emulator.url,
  developerToken: Redacted.make("emulator-developer-token"),
  userToken: Redacted.make("emulator-user-token"),
  rate: Infinity
})

type Mode = "off" | "no sync" | "sync"
const modes: ReadonlyArray<Mode> = ["off", "no sync", "sync"]
const concurrency = 16

const seed = async (n: number): Promise<ReadonlyArray<string>> => {
  await emulator.admin("POST", "/__admin/reset")
  const seeded = await emulator.admin("POST", "/__admin/seed", { kind: "library-songs", size: n, dislikes: 1 })
  return seeded.dislikes
}

const run = async (mode: Mode, n: number, rate: number): Promise<number> => {
  const ids = await seed(n)
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-bench-journal-"))
  const targets = Stream.fromIterable(ids).pipe(
    Stream.map((id): Batch.Target => ({ kind: "library-songs", id, value: -1 }))
  )
  const batch = (journal: Journal.Journal | undefined) =>
    // A fixed rate: the probing limiter's climb from 20 req/s would be measured too.
    Batch.run(targets, { concurrency, rate, fixedRate: true, ...(journal === undefined ? {} : { journal }) })
  const program = mode === "off"
    ? batch(undefined)
    : Effect.flatMap(JournalFile.make(Path.join(dir, "journal.jsonl"), { sync: mode === "sync" }), batch)
  const started = performance.now()
  const summary = await Effect.runPromise(
    program.pipe(Effect.scoped, Effect.provide(client), Effect.provide(NodeFileSystem.layer))
  )
  const seconds = (performance.now() - started) / 1000
  Fs.rmSync(dir, { recursive: true, force: true })
  if (summary.deleted !== n) throw new Error(`${mode}: deleted ${summary.deleted} of ${n}`)
  return n / seconds
}

// Warm up the JIT and the connections, so the first mode measured is not the slowest for that alone.
await run("off", 2_000, Infinity)
await run("sync", 2_000, Infinity)

const rows: Array<string> = []
const settings = [
  { label: "no limit", rate: Infinity, n: quick ? 2_000 : 10_000, rounds: quick ? 1 : 3 },
  { label: "200 req/s", rate: 200, n: quick ? 400 : 2_000, rounds: 1 }
]
for (const setting of settings) {
  const rates = new Map<Mode, Array<number>>(modes.map((mode) => [mode, []]))
  for (let round = 0; round < setting.rounds; round++) {
    // rotate the order, so no mode always runs first
    for (let i = 0; i < modes.length; i++) {
      const mode = modes[(i + round) % modes.length]!
      rates.get(mode)!.push(await run(mode, setting.n, setting.rate))
    }
  }
  const off = median(rates.get("off")!)
  const cells = modes.map((mode) => {
    const value = median(rates.get(mode)!)
    return mode === "off" ? `${Math.round(value)}` : `${Math.round(value)} (${((value / off - 1) * 100).toFixed(1)}%)`
  })
  const row = `| ${setting.label} | ${setting.n.toLocaleString("en")} | ${cells.join(" | ")} |`
  rows.push(row)
  console.log(row)
}
await emulator.stop()

const table = `| rate | deletes per run | journal off (deletes/s) | journal, no fsync | journal, fsync |
| --- | --- | --- | --- | --- |
${rows.join("\n")}`

if (quick) console.log(table)
else {
  writeSection(
    "journal",
    `## What the journal costs

Deletes per second through \`Batch.run\` (concurrency ${concurrency}) with no journal, with a journal written
without fsync (\`JournalFile.make(path, { sync: false })\`) and with the default journal: each DELETE's intent
synced before it is sent, each outcome written with the next intent (or within 100 ms), concurrent appends sharing
one write and one fsync (group commit). Targets carry their values, so no run looks anything up. The journal lives in
\`${Os.tmpdir()}\`; the emulator runs in its own process. Machine: ${machine()}. Medians of ${
      settings[0]!.rounds
    } rounds without a limit, one run at 200 req/s; in brackets, the change from no journal. Target: fsync costs
under 10% of deletes per second at 200 req/s.

${table}

Without a limit, each delete waits for one synced append (its intent, with the outcomes waiting before it), which
group commit shares among the ${concurrency} workers: the disk's fsync latency sets the pace. At the 20–200 requests per second
Apple allows, the journal costs nothing measurable.

Reproduce: \`pnpm --filter @unrate/bench bench:journal\``
  )
}
