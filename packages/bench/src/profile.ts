/**
 * Where the client spends its time: 20,000 deletes at concurrency 32 against
 * an emulator in another process, under V8's CPU profiler; prints the
 * functions with the most self time, grouped by package. A tool for chasing
 * the overhead target, not a benchmark.
 *
 * Run: pnpm --filter @unrate/bench exec tsx src/profile.ts [batch|cli]
 * (`batch`: through `Batch.run`, no journal; `cli`: the whole `unrate delete`
 * process, bundled as `bench:speed` runs it, journal on, under `node --cpu-prof`;
 * PROFILE_FLAGS=0 runs it without the command's V8 heap flags, PROFILE_JOURNAL=0 with `--no-journal`;
 * PROFILE_OUT=file.json also keeps the raw profile)
 *
 * @since 0.1.0
 */
import { AppleMusicRatings, Batch } from "@unrate/core"
import { Effect, Stream } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Inspector from "node:inspector/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { bundleCli, cliEnv, seedDislikes, startEmulator, unlimitedClient } from "./harness.js"

interface Profile {
  readonly nodes: ReadonlyArray<
    {
      readonly id: number
      readonly children?: ReadonlyArray<number> | undefined
      readonly callFrame: { functionName: string; url: string; lineNumber: number }
    }
  >
  readonly samples?: ReadonlyArray<number> | undefined
  readonly timeDeltas?: ReadonlyArray<number> | undefined
}

const total = 20_000
const mode = process.argv[2]
const emulator = await startEmulator({ log: false })
const seed = (n: number) => seedDislikes(emulator, n)
const client = unlimitedClient(emulator.url)
const deletes = (ids: ReadonlyArray<string>): Effect.Effect<void, unknown> =>
  (mode === "batch"
    ? Effect.asVoid(
      Batch.run(Stream.fromIterable(ids).pipe(Stream.map((id) => ({ kind: "library-songs" as const, id }))), {
        concurrency: 32,
        rate: Infinity,
        fixedRate: true
      })
    )
    : Effect.forEach(ids, (id) => AppleMusicRatings.deleteRating("library-songs", id), {
      concurrency: 32,
      discard: true
    }) as Effect.Effect<void, unknown, AppleMusicRatings.AppleMusicRatings>).pipe(Effect.provide(client))

/** Profiles this process while it deletes through the library. */
const inProcess = async (): Promise<{ profile: Profile; seconds: number; bundled?: ReadonlyArray<string> }> => {
  await Effect.runPromise(deletes(await seed(5_000)))
  const ids = await seed(total)
  const session = new Inspector.Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.setSamplingInterval", { interval: 200 })
  await session.post("Profiler.start")
  const started = performance.now()
  await Effect.runPromise(deletes(ids))
  const seconds = (performance.now() - started) / 1000
  const { profile } = await session.post("Profiler.stop")
  return { profile, seconds }
}

/** Profiles the bundled command from its start to its exit. */
const command = async (): Promise<{ profile: Profile; seconds: number; bundled: ReadonlyArray<string> }> => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-profile-"))
  const bundle = await bundleCli(`unrate-profile-${process.pid}`)
  // bin.ts sets its V8 flags after node has read its own: without them means the calls cut out of the bundle.
  if (process.env.PROFILE_FLAGS === "0") {
    Fs.writeFileSync(bundle, Fs.readFileSync(bundle, "utf8").replace(/V8\.setFlagsFromString\("[^"]*"\);?/g, ""))
  }
  try {
    const file = Path.join(dir, "ids.txt")
    Fs.writeFileSync(file, (await seed(total)).join("\n") + "\n")
    const started = performance.now()
    const journal = process.env.PROFILE_JOURNAL === "0"
      ? ["--no-journal"]
      : ["--journal", Path.join(dir, "journal.jsonl")]
    const args = ["delete", "library-songs", "--ids-file", file, ...journal]
    ChildProcess.execFileSync(process.execPath, [
      "--cpu-prof",
      "--cpu-prof-dir",
      dir,
      "--cpu-prof-interval",
      "200",
      bundle,
      ...args,
      "--concurrency",
      "32",
      "--initial-rate",
      "1000000",
      "--json"
    ], { env: cliEnv(emulator.url), stdio: ["ignore", "ignore", "inherit"] })
    const seconds = (performance.now() - started) / 1000
    const name = Fs.readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))!
    return {
      profile: JSON.parse(Fs.readFileSync(Path.join(dir, name), "utf8")),
      seconds,
      bundled: Fs.readFileSync(bundle, "utf8").split("\n")
    }
  } finally {
    Fs.rmSync(dir, { recursive: true, force: true })
    Fs.rmSync(bundle, { force: true })
  }
}

const { bundled, profile, seconds } = await (mode === "cli" ? command() : inProcess())
if (process.env.PROFILE_OUT) Fs.writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile))
await emulator.stop()

/** A bundle's lines mapped back to the source files esbuild names in its `// path` comments. */
const sourceOf = (lines: ReadonlyArray<string> | undefined) => {
  const starts: Array<[number, string]> = []
  lines?.forEach((line, index) => {
    const path = /^\/\/ (\S+\.[cm]?[jt]s)$/.exec(line)?.[1]
    if (path !== undefined) starts.push([index, path])
  })
  return (line: number): string | undefined => {
    let lo = 0
    let hi = starts.length - 1
    let found: string | undefined
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (starts[mid]![0] <= line) {
        found = starts[mid]![1]
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }
}
const source = sourceOf(bundled)
const parents = new Map<number, number>()
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)

const byFunction = new Map<string, number>()
const byPackage = new Map<string, number>()
const inclusive = new Map<string, number>()
const deltas = profile.timeDeltas ?? []
const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
let sampled = 0
for (const [index, id] of (profile.samples ?? []).entries()) {
  const node = nodes.get(id)!
  const micros = deltas[index] ?? 0
  sampled += micros
  const url = bundled !== undefined && node.callFrame.url.startsWith("file:")
    ? source(node.callFrame.lineNumber) ?? node.callFrame.url
    : node.callFrame.url
  const pkg = url === ""
    ? node.callFrame.functionName || "(native)"
    : /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.includes("/packages/") ? `unrate:${/packages\/([^/]+)/.exec(url)![1]}` : url.replace(/^.*\//, ""))
  // Native functions (a write, a JSON.stringify) are named with the JavaScript function that called them.
  const caller = url === "" && parents.has(node.id) ? nodes.get(parents.get(node.id)!)! : undefined
  const name = `${node.callFrame.functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "")}:${
    node.callFrame.lineNumber + 1
  }${
    caller === undefined
      ? ""
      : ` ← ${caller.callFrame.functionName || "(anonymous)"} ${
        (bundled !== undefined && caller.callFrame.url.startsWith("file:")
          ? source(caller.callFrame.lineNumber)
          : undefined) ?? caller.callFrame.url.replace(/^.*\//, "")
      }:${caller.callFrame.lineNumber + 1}`
  }`
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros)
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros)
  // Inclusive time of unrate's own functions: what each one costs with everything it calls.
  const seen = new Set<string>()
  for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
    const frame = nodes.get(at)!.callFrame
    const file = bundled !== undefined && frame.url.startsWith("file:") ? source(frame.lineNumber) : frame.url
    if (file === undefined || file.includes("node_modules") || !/(^|\/)src\//.test(file)) continue
    const own = `${frame.functionName || "(anonymous)"} ${file.replace(/^(\.\.\/)+|^.*packages\//, "")}:${
      frame.lineNumber + 1
    }`
    if (!seen.has(own)) {
      seen.add(own)
      inclusive.set(own, (inclusive.get(own) ?? 0) + micros)
    }
  }
}
const show = (map: Map<string, number>, n: number) =>
  [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) =>
    `${(100 * v / sampled).toFixed(1).padStart(5)}%  ${k}`
  )
console.log(`${(total / seconds).toFixed(0)} deletes/s`)
console.log("\nself time by package\n" + show(byPackage, 15).join("\n"))
console.log("\nself time by function\n" + show(byFunction, 40).join("\n"))
console.log("\nunrate's functions with what they call\n" + show(inclusive, 40).join("\n"))
