/**
 * One run of the memory benchmark, in its own process so its peak RSS is its
 * own: memoryChild.ts <ids file> <journal> <dry-run|delete> <concurrency> [emulator url]
 * Prints one JSON line: summary counts, wall time, peak RSS and RSS samples.
 *
 * @since 0.1.0
 */
import { NodeFileSystem, NodeRuntime } from "@effect/platform-node"
import { Batch } from "@unrate/core"
import { IdsFile, JournalFile, NodeAppleMusic } from "@unrate/platform"
import { Effect, Layer, Redacted, Stream } from "effect"

const [idsFile, journalPath, mode, concurrency, url] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string?
]
const samples: Array<number> = []

const program = Effect.gen(function*() {
  const journal = yield* JournalFile.make(journalPath)
  const started = performance.now()
  const summary = yield* Batch.run(
    IdsFile.fromFile(idsFile).pipe(Stream.map((id): Batch.Target => ({ kind: "library-songs", id }))),
    {
      journal,
      dryRun: mode === "dry-run",
      concurrency: Number(concurrency),
      progressInterval: "500 millis",
      onProgress: () => Effect.sync(() => void samples.push(process.memoryUsage.rss()))
    }
  )
  const seconds = (performance.now() - started) / 1000
  process.stdout.write(`${
    JSON.stringify({
      deleted: summary.deleted,
      planned: summary.planned,
      failed: summary.failed,
      seconds,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      samplesMb: samples.map((rss) => Math.round(rss / 2 ** 20))
    })
  }\n`)
}).pipe(
  Effect.scoped,
  Effect.provide(Layer.merge(
    NodeAppleMusic.layer({
      baseUrl: url ?? "http://127.0.0.1:9",
      developerToken: Redacted.make("emulator-developer-token"),
      userToken: Redacted.make("emulator-user-token"),
      rate: Infinity
    }),
    NodeFileSystem.layer
  ))
)

NodeRuntime.runMain(program)
