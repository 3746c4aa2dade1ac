/**
 * The client against bare undici, side by side in one run on one emulator:
 * `deleteRating` over `NodeAppleMusic.layer` at concurrency 8, 32 and 128,
 * `Batch.run`, and the whole `unrate delete` process (bundled, journal on),
 * each taking turns with a bare undici loop at the same concurrency. Reports
 * throughput ratios and the client's CPU µs per DELETE (user + system time of
 * the process that sends, the emulator runs in its own).
 *
 * Run: pnpm --filter @unrate/bench bench:speed [client|batch|cli|cli-library|cli-parts …] (ROUNDS=n, default 3;
 * SECTION=0 prints without touching the docs, as does naming parts; `cli-parts` runs only when named;
 * `cli-library` is the command at 100,000 deletes a run, in at most 2 rounds)
 *
 * @since 0.3.0
 */
import { AppleMusicRatings, Batch } from "@unrate/core"
import { Effect, Stream } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Url from "node:url"
import {
  bareDeletes,
  bundleCli,
  cliEnv,
  machine,
  median,
  seedDislikes,
  startEmulator,
  unlimitedClient,
  writeSection
} from "./harness.js"

const rounds = Number(process.env.ROUNDS ?? 3)
const total = 20_000
/** A library's worth (the mission's 100,000 songs): the command's fixed costs (start-up, V8 optimizing its code)
 * spread thinner. */
const libraryTotal = 100_000
const libraryRounds = Math.min(rounds, 2)
const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-speed-"))
const emulator = await startEmulator({ log: false })
const seed = (n: number) => seedDislikes(emulator, n)
const client = unlimitedClient(emulator.url)

interface Run {
  readonly rate: number
  readonly cpuMicros: number
  /** The command's main thread alone (Linux: read from /proc); the rest is V8's and libuv's helper threads. */
  readonly mainMicros?: number | undefined
}

/** Deletes per second and CPU µs per delete of this process while `run` deletes `ids`. */
const measured = async (ids: ReadonlyArray<string>, run: (ids: ReadonlyArray<string>) => Promise<unknown>) => {
  const cpu = process.cpuUsage()
  const started = performance.now()
  await run(ids)
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  return { rate: ids.length / seconds, cpuMicros: (used.user + used.system) / ids.length }
}

const bare = (concurrency: number) => (ids: ReadonlyArray<string>) => bareDeletes(emulator.url, ids, concurrency)
const deletes = (concurrency: number) => (ids: ReadonlyArray<string>) =>
  Effect.runPromise(
    Effect.forEach(ids, (id) => AppleMusicRatings.deleteRating("library-songs", id), { concurrency, discard: true })
      .pipe(Effect.provide(client))
  )
const batch = (concurrency: number) => (ids: ReadonlyArray<string>) =>
  Effect.runPromise(
    Batch.run(Stream.fromIterable(ids).pipe(Stream.map((id): Batch.Target => ({ kind: "library-songs", id }))), {
      concurrency,
      rate: Infinity,
      fixedRate: true
    }).pipe(Effect.provide(client))
  )

// The command bundled as it ships, run under plain node; it reports its own CPU time when it exits.
const cliBundle = await bundleCli(`unrate-speed-${process.pid}`)
const wrapper = Path.join(dir, "measure.mjs")
Fs.writeFileSync(
  wrapper,
  `import * as Fs from "node:fs"
// /proc counts in ticks of 1/100 s; where it is missing, only the whole process is reported.
const mainMicros = () => {
  try {
    const fields = Fs.readFileSync(\`/proc/self/task/\${process.pid}/stat\`, "utf8").split(") ")[1].split(" ")
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return undefined
  }
}
process.on("exit", () => { const u = process.resourceUsage(); Fs.writeFileSync(process.env.MEASURE_OUT, JSON.stringify({
  cpuMicros: u.userCPUTime + u.systemCPUTime, mainMicros: mainMicros() })) })
await import(process.env.MEASURE_BUNDLE)
`
)
/**
 * The command taken apart (part `cli-parts`, not in the default run): the same bundle with bin.ts's V8 flags cut
 * out, and with the journal's fsync forced off, one variable at a time.
 */
const variant = (name: string, edit: (code: string) => string): string => {
  const code = Fs.readFileSync(cliBundle, "utf8")
  const edited = edit(code)
  if (edited === code) throw new Error(`the bundle has nothing to change for ${name}`)
  const file = cliBundle.replace(/\.mjs$/, `-${name}.mjs`)
  Fs.writeFileSync(file, edited)
  return file
}
const noFlags = (code: string) => code.replace(/V8\.setFlagsFromString\("[^"]*"\);?/g, "")
const noSync = (code: string) => code.replace(/options\d*\.sync \?\? true/, "false")

const cli = (concurrency: number, bundle = cliBundle, extra: ReadonlyArray<string> = []) =>
(
  ids: ReadonlyArray<string>
): Promise<Run> => {
  const file = Path.join(dir, "ids.txt")
  Fs.writeFileSync(file, ids.join("\n") + "\n")
  const out = Path.join(dir, "measure.json")
  const journal = Path.join(dir, `journal-${Date.now()}.jsonl`)
  const started = performance.now()
  return new Promise((resolve, reject) =>
    ChildProcess.execFile(process.execPath, [
      wrapper,
      "delete",
      "library-songs",
      "--ids-file",
      file,
      ...(extra.includes("--no-journal") ? extra : ["--journal", journal, ...extra]),
      "--concurrency",
      String(concurrency),
      "--initial-rate",
      "1000000",
      "--json"
    ], {
      cwd: dir,
      maxBuffer: 64 * 2 ** 20,
      env: { ...cliEnv(emulator.url), MEASURE_OUT: out, MEASURE_BUNDLE: Url.pathToFileURL(bundle).href }
    }, (error, stdout) => {
      if (error) return reject(error)
      const summary = JSON.parse(stdout)
      if (summary.deleted !== ids.length) return reject(new Error(`deleted ${summary.deleted} of ${ids.length}`))
      const seconds = (performance.now() - started) / 1000
      const used = JSON.parse(Fs.readFileSync(out, "utf8"))
      resolve({
        rate: ids.length / seconds,
        cpuMicros: used.cpuMicros / ids.length,
        mainMicros: used.mainMicros === undefined ? undefined : used.mainMicros / ids.length
      })
    })
  )
}

const loadAtStart = Os.loadavg()[0]!
const only = process.argv.slice(2)
const wanted = (name: string) => only.length === 0 || only.includes(name)

const rows: Array<string> = []
const threadSplits: Array<string> = []
let libraryMeasured = false
/** Takes turns with bare undici at the same concurrency; medians of the rounds. */
const compare = async (
  label: string,
  concurrency: number,
  ours: (ids: ReadonlyArray<string>) => Promise<Run>,
  deletes = total,
  times = rounds
) => {
  const theirs: Array<Run> = []
  const mine: Array<Run> = []
  for (let round = 0; round < times; round++) {
    theirs.push(await measured(await seed(deletes), bare(concurrency)))
    mine.push(await ours(await seed(deletes)))
  }
  const m = (runs: Array<Run>, key: "rate" | "cpuMicros") => median(runs.map((run) => run[key]))
  const row = `| ${label} | ${concurrency} | ${Math.round(m(theirs, "rate"))} | ${Math.round(m(mine, "rate"))} | ${
    (m(mine, "rate") / m(theirs, "rate")).toFixed(2)
  } | ${Math.round(m(theirs, "cpuMicros"))} | ${Math.round(m(mine, "cpuMicros"))} |`
  rows.push(row)
  console.log(row)
  const main = mine.flatMap((run) => run.mainMicros === undefined ? [] : [run.mainMicros])
  if (main.length === mine.length) {
    const split = `${label}: ${Math.round(median(main))} of ${Math.round(m(mine, "cpuMicros"))}`
    threadSplits.push(split)
    console.log(split)
  }
}

try {
  await measured(await seed(5_000), deletes(32))
  if (wanted("client")) {
    for (const concurrency of [8, 32, 128]) {
      await compare("`deleteRating`", concurrency, (ids) => measured(ids, deletes(concurrency)))
    }
  }
  if (wanted("batch")) await compare("`Batch.run`", 32, (ids) => measured(ids, batch(32)))
  if (wanted("cli")) await compare("`unrate delete` process, journal", 32, cli(32))
  if (wanted("cli-library")) {
    libraryMeasured = true
    await compare(
      `… ${libraryTotal.toLocaleString("en")} DELETEs a run (${libraryRounds} rounds)`,
      32,
      cli(32),
      libraryTotal,
      libraryRounds
    )
  }
  if (only.includes("cli-parts")) {
    const flagless = variant("noflags", noFlags)
    await compare("… no V8 flags", 32, cli(32, flagless))
    await compare(
      "… no V8 flags, journal without fsync",
      32,
      cli(32, variant("nosync", (code) => noSync(noFlags(code))))
    )
    await compare("… `--no-journal`", 32, cli(32, cliBundle, ["--no-journal"]))
    await compare("… `--no-journal`, no V8 flags", 32, cli(32, flagless, ["--no-journal"]))
  }
} finally {
  await emulator.stop()
  Fs.rmSync(dir, { recursive: true, force: true })
  for (const file of Fs.readdirSync(Path.dirname(cliBundle))) {
    if (file.startsWith(Path.basename(cliBundle, ".mjs"))) Fs.rmSync(Path.join(Path.dirname(cliBundle), file))
  }
}

const section = `## Speed against bare undici

${total.toLocaleString("en")} DELETEs per run${
  libraryMeasured
    ? ` (the command also at ${libraryTotal.toLocaleString("en")}, a library's worth, in ${libraryRounds} rounds)`
    : ""
} against one emulator in its own process,
each unrate run taking turns with a bare undici pool at the same concurrency, ${rounds} round(s), medians.
CPU µs per DELETE is user + system time of the sending process (for the command: the whole process, start-up
included) divided by the deletes.
Targets: \`deleteRating\` at least 0.9 of bare, \`Batch.run\` 0.85, the \`unrate delete\` process 0.6.
Machine: ${machine()}; load average (1 minute) ${loadAtStart.toFixed(1)} at the start of the run and ${
  Os.loadavg()[0]!.toFixed(1)
} at its end: on a shared machine the ratios move with the other load (the bare loop's rate too), the CPU µs less.

| unrate | concurrency | bare (req/s) | unrate (req/s) | ratio | bare CPU µs | unrate CPU µs |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}
${
  threadSplits.length === 0 ? "" : `
CPU µs a delete on the command's main thread, of the whole process's (Linux, medians): ${threadSplits.join("; ")}. The
rest is on V8's threads (mostly its optimizing compiler) and libuv's pool.
`
}
Reproduce: \`pnpm --filter @unrate/bench bench:speed\``
if (process.env.SECTION !== "0" && only.length === 0) writeSection("speed", section)
else console.log(section)
