/**
 * Memory at scale: 10k, 100k and 1M ids read from a file through the batch
 * engine with a journal, each in its own process; peak RSS and wall time.
 * Dry runs cover every size (the emulator would make 1M deletes a
 * quarter-hour job); real deletes against the emulator cover 10k and 100k at
 * two concurrencies, showing cost follows concurrency, not n.
 *
 * Run: pnpm --filter @unrate/bench bench:memory
 *
 * @since 0.1.0
 */
import * as Esbuild from "esbuild"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Url from "node:url"
import { machine, startEmulator, writeSection } from "./harness.js"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-memory-"))

// The child runs as one bundled JavaScript file under plain node: a TypeScript loader in the process would
// add its own hundred-odd megabytes to what is measured.
const bundle = Path.join(dir, "memoryChild.mjs")
await Esbuild.build({
  entryPoints: [Path.join(here, "memoryChild.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  outfile: bundle,
  logLevel: "warning",
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" }
})

const child = (args: ReadonlyArray<string>): Promise<any> =>
  new Promise((resolve, reject) => {
    ChildProcess.execFile(
      process.execPath,
      [bundle, ...args],
      { cwd: here, maxBuffer: 64 * 2 ** 20 },
      (error, stdout) => error ? reject(error) : resolve(JSON.parse(stdout.trim().split("\n").at(-1)!))
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

for (const n of [10_000, 100_000, 1_000_000]) {
  const file = idsFile(`dry-${n}.txt`, generated(n))
  const result = await child([file, Path.join(dir, `dry-${n}.jsonl`), "dry-run", "8"])
  if (result.planned !== n) throw new Error(`planned ${result.planned} of ${n}`)
  report("dry run + journal", n, 8, result)
}

const emulator = await startEmulator({ log: false })
try {
  for (const n of [10_000, 100_000]) {
    for (const concurrency of [8, 64]) {
      await emulator.admin("POST", "/__admin/reset")
      const seeded = await emulator.admin("POST", "/__admin/seed", { kind: "library-songs", size: n, dislikes: 1 })
      const file = idsFile(`delete-${n}-${concurrency}.txt`, seeded.dislikes)
      const result = await child([
        file,
        Path.join(dir, `delete-${n}-${concurrency}.jsonl`),
        "delete",
        String(concurrency),
        emulator.url
      ])
      if (result.deleted !== n) throw new Error(`deleted ${result.deleted} of ${n}`)
      report("delete + journal", n, concurrency, result)
    }
  }
} finally {
  await emulator.stop()
  Fs.rmSync(dir, { recursive: true, force: true })
}

writeSection(
  "memory",
  `## Memory at scale

Ids read from a file (one per line) through \`Batch.run\` with a JSON Lines journal, each run in its own
process. The child is bundled with esbuild and run by plain \`node\` (no TypeScript loader in the
process). Peak RSS is the process's maximum resident set; the samples are RSS at a quarter, half, three
quarters and the end of the run. Machine: ${machine()}. Target: under 150 MB at 1,000,000 ids.

| run | ids | concurrency | seconds | peak RSS (MB) | RSS samples (MB) |
| --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

Reproduce: \`pnpm --filter @unrate/bench bench:memory\``
)
