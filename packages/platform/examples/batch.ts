import { NodeFileSystem, NodeRuntime } from "@effect/platform-node"
import { Batch } from "@unrate/core"
import { IdsFile, JournalFile, NodeAppleMusic } from "@unrate/platform"
import { Effect, Layer, Stream } from "effect"

const program = Effect.gen(function*() {
  const journal = yield* JournalFile.make("clean-up.jsonl") // resume by running again; undo with Batch.restore
  const summary = yield* Batch.run(
    IdsFile.fromFile("ids.txt").pipe(Stream.map((id) => ({ kind: "library-songs" as const, id }))),
    { journal, concurrency: 8, rate: 20, onProgress: (p) => Effect.log(`${p.deleted} deleted, ${p.failed} failed`) }
  )
  yield* Effect.log(summary)
}).pipe(Effect.scoped, Effect.provide(Layer.merge(NodeAppleMusic.layerEnvironment(), NodeFileSystem.layer)))

NodeRuntime.runMain(program)
