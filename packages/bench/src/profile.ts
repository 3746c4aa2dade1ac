/**
 * Where the client spends its time: 20,000 deletes through unrate's Node
 * layer at concurrency 32 against an emulator in another process, under V8's
 * CPU profiler; prints the functions with the most self time, grouped by
 * package. A tool for chasing the overhead target, not a benchmark.
 *
 * Run: pnpm --filter @unrate/bench exec tsx src/profile.ts [batch] (`batch`: through `Batch.run`, no journal)
 *
 * @since 0.1.0
 */
import { AppleMusicRatings, Batch } from "@unrate/core"
import { Effect, Stream } from "effect"
import * as Inspector from "node:inspector/promises"
import { seedDislikes, startEmulator, unlimitedClient } from "./harness.js"

const emulator = await startEmulator({ log: false })
const seed = (n: number) => seedDislikes(emulator, n)
const client = unlimitedClient(emulator.url)
const throughBatch = process.argv[2] === "batch"
const deletes = (ids: ReadonlyArray<string>): Effect.Effect<void, unknown> =>
  (throughBatch
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

await Effect.runPromise(deletes(await seed(5_000)))
const ids = await seed(20_000)
const session = new Inspector.Session()
session.connect()
await session.post("Profiler.enable")
await session.post("Profiler.setSamplingInterval", { interval: 200 })
await session.post("Profiler.start")
const started = performance.now()
await Effect.runPromise(deletes(ids))
const seconds = (performance.now() - started) / 1000
const { profile } = await session.post("Profiler.stop")
await emulator.stop()

const byFunction = new Map<string, number>()
const byPackage = new Map<string, number>()
const deltas = profile.timeDeltas ?? []
const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
let total = 0
for (const [index, id] of (profile.samples ?? []).entries()) {
  const node = nodes.get(id)!
  const micros = deltas[index] ?? 0
  total += micros
  const url = node.callFrame.url
  const pkg = url === ""
    ? node.callFrame.functionName || "(native)"
    : /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.includes("/packages/") ? `unrate:${/packages\/([^/]+)/.exec(url)![1]}` : url.replace(/^.*\//, ""))
  const name = `${node.callFrame.functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "")}:${
    node.callFrame.lineNumber + 1
  }`
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros)
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros)
}
const show = (map: Map<string, number>, n: number) =>
  [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${(100 * v / total).toFixed(1).padStart(5)}%  ${k}`)
console.log(`${(20_000 / seconds).toFixed(0)} deletes/s`)
console.log("\nself time by package\n" + show(byPackage, 15).join("\n"))
console.log("\nself time by function\n" + show(byFunction, 40).join("\n"))
