/**
 * What the `unrate` command's V8 heap flag buys: 1,000,000 valid and
 * 1,000,000 invalid ids through `unrate delete --dry-run` with a journal, the
 * command as it ships (bin.ts, which sets the flags for batches) and its
 * `main` started without them, each in its own process; peak RSS and CPU time.
 *
 * Run: pnpm --filter @unrate/bench bench:memory-flags (N=ids, default 1000000; SECTION=0 prints only)
 *
 * @since 0.3.0
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Url from "node:url"
import { bundleTo, machine, writeSection } from "./harness.js"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const n = Number(process.env.N ?? 1_000_000)
const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-flags-"))
const cliDir = Path.resolve(here, "../../cli/build/bench")

const withFlags = Path.join(cliDir, "unrate.mjs")
await bundleTo(Path.resolve(here, "../../cli/src/bin.ts"), withFlags)
const plainEntry = Path.join(dir, "plain.ts")
Fs.writeFileSync(
  plainEntry,
  `import { main } from ${JSON.stringify(Path.resolve(here, "../../cli/src/Cli.ts"))}\nmain(process.argv)\n`
)
const withoutFlags = Path.join(cliDir, "unrate-plain.mjs")
await bundleTo(plainEntry, withoutFlags)

const run = (command: string, ids: string): Promise<{ peakRssMb: number; cpuSeconds: number; summary: any }> =>
  new Promise((resolve, reject) => {
    const out = Path.join(dir, "measure.json")
    const wrapper = Path.join(dir, "measure.mjs")
    Fs.writeFileSync(
      wrapper,
      `import * as Fs from "node:fs"
process.on("exit", () => { const u = process.resourceUsage(); Fs.writeFileSync(process.env.MEASURE_OUT, JSON.stringify({
  peakRssMb: u.maxRSS / 1024, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 })) })
await import(${JSON.stringify(Url.pathToFileURL(command).href)})
`
    )
    ChildProcess.execFile(process.execPath, [
      wrapper,
      "delete",
      "library-songs",
      "--ids-file",
      ids,
      "--journal",
      Path.join(dir, `journal-${Date.now()}.jsonl`),
      "--dry-run",
      "--json"
    ], {
      cwd: dir,
      maxBuffer: 256 * 2 ** 20,
      env: {
        ...process.env,
        MEASURE_OUT: out,
        APPLE_MUSIC_BASE_URL: "http://127.0.0.1:9",
        APPLE_MUSIC_DEVELOPER_TOKEN: "bench-developer-token",
        APPLE_MUSIC_USER_TOKEN: "bench-user-token"
      }
    }, (error, stdout) => {
      if (error && error.code !== 1) return reject(error)
      resolve({ ...JSON.parse(Fs.readFileSync(out, "utf8")), summary: JSON.parse(stdout) })
    })
  })

const idsFile = (name: string, id: (i: number) => string) => {
  const path = Path.join(dir, name)
  const out = Fs.openSync(path, "w")
  for (let i = 0; i < n; i += 10_000) {
    const lines: Array<string> = []
    for (let j = i; j < Math.min(n, i + 10_000); j++) lines.push(id(j))
    Fs.writeSync(out, lines.join("\n") + "\n")
  }
  Fs.closeSync(out)
  return path
}

const rows: Array<string> = []
try {
  const valid = idsFile("valid.txt", (i) => `i.${i.toString(36).padStart(14, "0")}`)
  const invalid = idsFile("invalid.txt", (i) => `not/an id ${i}`)
  for (const [label, file, key] of [["valid", valid, "planned"], ["invalid", invalid, "invalid"]] as const) {
    for (const [flags, command] of [["with", withFlags], ["without", withoutFlags]] as const) {
      const result = await run(command, file)
      if (result.summary[key] !== n) throw new Error(`${key} ${result.summary[key]} of ${n}`)
      const row = `| ${n.toLocaleString("en")} ${label} | ${flags} | ${Math.round(result.peakRssMb)} | ${
        result.cpuSeconds.toFixed(1)
      } |`
      rows.push(row)
      console.log(row)
    }
  }
} finally {
  Fs.rmSync(dir, { recursive: true, force: true })
}

const section = `### The command's V8 flags

\`unrate delete --dry-run\` with a journal over ${n.toLocaleString("en")} ids, the command as it ships (bin.ts starts
batches with \`--heap-growing-percent=10\`) and its \`main\` started without the flag, each
in its own process under plain \`node\`; peak RSS and the process's CPU time (user + system). Machine: ${machine()}.

| ids | V8 flags | peak RSS (MB) | CPU seconds |
| --- | --- | --- | --- |
${rows.join("\n")}

Reproduce: \`pnpm --filter @unrate/bench bench:memory-flags\``
if (process.env.SECTION !== "0") writeSection("memory-flags", section)
else console.log(section)
