/**
 * Memory at scale: 10k, 100k and 1M ids read from a file through the batch
 * engine with a journal, each in its own process; peak RSS and wall time.
 * The `unrate` command covers dry runs of every size (the emulator would make
 * 1M deletes a quarter-hour job) and real deletes of 100k against the emulator
 * at two concurrencies, showing cost follows concurrency, not n; `Batch.run`
 * in a plain script shows what V8's default heap settings cost.
 *
 * Run: pnpm --filter @unrate/bench bench:memory (QUICK=1: only the smallest dry run, printed, not written)
 *
 * @since 0.1.0
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Url from "node:url"
import { bundleTo, machine, startEmulator, writeSection } from "./harness.js"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const quick = process.env.QUICK !== undefined
const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-memory-"))

// Each process runs one bundled JavaScript file under plain node: a TypeScript loader in the process would
// add its own hundred-odd megabytes to what is measured.

const bundle = Path.join(dir, "memoryChild.mjs")
await bundleTo(Path.join(here, "memoryChild.ts"), bundle)

const child = (args: ReadonlyArray<string>): Promise<any> =>
  new Promise((resolve, reject) => {
    ChildProcess.execFile(
      process.execPath,
      [bundle, ...args],
      { cwd: here, maxBuffer: 64 * 2 ** 20 },
      (error, stdout) => error ? reject(error) : resolve(JSON.parse(stdout.trim().split("\n").at(-1)!))
    )
  })

// The command itself, bundled the same way (next to its package.json, which it reads for its version), run
// under a wrapper that samples RSS and reports the peak when the command exits.
const cliBundle = Path.resolve(here, "../../cli/build/bench/unrate.mjs")
await bundleTo(Path.resolve(here, "../../cli/src/bin.ts"), cliBundle)
const wrapper = Path.join(dir, "measure.mjs")
Fs.writeFileSync(
  wrapper,
  `import * as Fs from "node:fs"
const samples = []
setInterval(() => samples.push(Math.round(process.memoryUsage.rss() / 2 ** 20)), 500).unref()
const started = performance.now()
process.on("exit", () => Fs.writeFileSync(process.env.MEASURE_OUT, JSON.stringify({
  seconds: (performance.now() - started) / 1000, peakRssMb: process.resourceUsage().maxRSS / 1024, samplesMb: samples
})))
await import(${JSON.stringify(Url.pathToFileURL(cliBundle).href)})
`
)
const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<any> =>
  new Promise((resolve, reject) => {
    const out = Path.join(dir, "measure.json")
    ChildProcess.execFile(
      process.execPath,
      [wrapper, ...args, "--json"],
      { cwd: here, maxBuffer: 64 * 2 ** 20, env: { ...process.env, ...env, MEASURE_OUT: out } },
      (error, stdout) => {
        if (error && error.code !== 0) return reject(error)
        resolve({ ...JSON.parse(stdout), ...JSON.parse(Fs.readFileSync(out, "utf8")) })
      }
    )
  })

const idsFile = (name: string, ids: Iterable<string>) => {
  const path = Path.join(dir, name)
  const out = Fs.openSync(path, "w")
  let buffer: Array<string> = []
  for (const id of ids) {
    buffer.push(id)
    if (buffer.length === 10_000) {
      Fs.writeSync(out, buffer.join("\n") + "\n")
      buffer = []
    }
  }
  if (buffer.length > 0) Fs.writeSync(out, buffer.join("\n") + "\n")
  Fs.closeSync(out)
  return path
}

function* generated(n: number) {
  for (let i = 0; i < n; i++) yield `i.${i.toString(36).padStart(14, "0")}`
}

const rows: Array<string> = []
const report = (label: string, n: number, concurrency: number, result: any) => {
  const samples = result.samplesMb as Array<number>
  const quarter = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * (samples.length - 1)))] ?? 0
  const row = `| ${label} | ${n.toLocaleString("en")} | ${concurrency} | ${result.seconds.toFixed(1)} | ${
    Math.round(result.peakRssMb)
  } | ${[0.25, 0.5, 0.75, 1].map(quarter).join(" / ")} |`
  rows.push(row)
  console.log(row)
}

const emulator = await startEmulator({ log: false })
const emulatorEnv = {
  APPLE_MUSIC_BASE_URL: emulator.url,
  APPLE_MUSIC_DEVELOPER_TOKEN: "emulator-developer-token",
  APPLE_MUSIC_USER_TOKEN: "emulator-user-token"
}
const seededFile = async (n: number, name: string) => {
  await emulator.admin("POST", "/__admin/reset")
  const seeded = await emulator.admin("POST", "/__admin/seed", { kind: "library-songs", size: n, dislikes: 1 })
  return idsFile(name, seeded.dislikes)
}
try {
  for (const n of (quick ? [10_000] : [10_000, 100_000, 1_000_000])) {
    const file = idsFile(`dry-${n}.txt`, generated(n))
    const result = await cli(
      ["delete", "library-songs", "--ids-file", file, "--journal", Path.join(dir, `cli-dry-${n}.jsonl`), "--dry-run"],
      emulatorEnv
    )
    if (result.planned !== n) throw new Error(`planned ${result.planned} of ${n}`)
    report("`unrate delete --dry-run`, journal", n, 8, result)
  }
  for (const concurrency of [8, 64]) {
    const n = 100_000
    const file = await seededFile(n, `cli-delete-${concurrency}.txt`)
    const result = await cli([
      "delete",
      "library-songs",
      "--ids-file",
      file,
      "--journal",
      Path.join(dir, `cli-delete-${concurrency}.jsonl`),
      "--concurrency",
      String(concurrency),
      "--rate",
      "1000000"
    ], emulatorEnv)
    if (result.deleted !== n) throw new Error(`deleted ${result.deleted} of ${n}`)
    report("`unrate delete`, journal, against the emulator", n, concurrency, result)
  }
  // The engine in a process of its own with V8's default heap settings, for comparison.
  const existing = Path.join(dir, "dry-1000000.txt")
  const file = Fs.existsSync(existing) ? existing : idsFile("dry-1000000.txt", generated(1_000_000))
  const library = await child([file, Path.join(dir, "lib-dry.jsonl"), "dry-run", "8"])
  if (library.planned !== 1_000_000) throw new Error(`planned ${library.planned}`)
  report("`Batch.run` dry run, journal, default V8 heap settings", 1_000_000, 8, library)
  const deleteFile = await seededFile(100_000, "lib-delete.txt")
  const deleted = await child([deleteFile, Path.join(dir, "lib-delete.jsonl"), "delete", "8", emulator.url])
  if (deleted.deleted !== 100_000) throw new Error(`deleted ${deleted.deleted}`)
  report("`Batch.run` deletes, journal, default V8 heap settings", 100_000, 8, deleted)
} finally {
  await emulator.stop()
  Fs.rmSync(dir, { recursive: true, force: true })
}

// A quick run is a smoke test of the harness: it prints its rows and leaves docs/benchmarks.md alone.
const section = `## Memory at scale

Ids read from a file (one per line) through the batch engine with a JSON Lines journal, each run in its own
process under plain \`node\` (bundled with esbuild: no TypeScript loader in the process). The first rows run the
\`unrate\` command itself, which starts V8 with slower old-generation growth (see
\`packages/cli/src/bin.ts\`); the last rows run \`Batch.run\` in a script with V8's default heap settings, which
let the heap fill with garbage before collecting it. Peak RSS is the process's maximum resident set; the samples
are RSS at a quarter, half, three quarters and the end of the run. Machine: ${machine()}.
Target: under 150 MB at 1,000,000 ids, flat.

| run | ids | concurrency | seconds | peak RSS (MB) | RSS samples (MB) |
| --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

Reproduce: \`pnpm --filter @unrate/bench bench:memory\``
if (!quick) writeSection("memory", section)
