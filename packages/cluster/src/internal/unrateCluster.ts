import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as Layer from "effect/Layer"
import * as Team from "../Team.js"
import type * as UnrateCluster from "../UnrateCluster.js"
import * as cleanup from "./cleanup.js"
import * as SqlJournal from "./sqlJournal.js"

const settings = (options: UnrateCluster.Options): cleanup.Settings => ({
  chunkSize: options.chunkSize ?? cleanup.defaultChunkSize,
  concurrency: options.concurrency ?? 8
})

const teamLayer = (options: UnrateCluster.Options) =>
  Team.layer(options.team).pipe(Layer.provide(NodeHttpClient.layerUndici))

export const layerSingle = (options: UnrateCluster.SingleOptions) => {
  const sql = Layer.provideMerge(
    Layer.effectDiscard(SqlJournal.migrate),
    SqliteClient.layer({ filename: options.filename })
  )
  const engine = ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(SingleRunner.layer({ runnerStorage: "memory", shardingConfig: options.shardingConfig }))
  )
  return cleanup.layerWorkflows(settings(options)).pipe(
    Layer.provide(teamLayer(options)),
    Layer.provideMerge(engine),
    Layer.provideMerge(sql)
  )
}
