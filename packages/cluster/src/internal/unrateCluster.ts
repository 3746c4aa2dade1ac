import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Team from "../Team.js"
import * as TeamLimiter from "../TeamLimiter.js"
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

const pgLayer = (options: UnrateCluster.PgOptions) =>
  Layer.provideMerge(
    Layer.effectDiscard(SqlJournal.migrate),
    PgClient.layer({ url: options.url, maxConnections: options.maxConnections ?? 10 })
  )

/** The key of the session advisory lock under which a runner creates @effect/cluster's tables. */
const storageLock = 7142

/**
 * Builds `layer` holding a PostgreSQL advisory lock, on a connection of its own released once built: runners
 * started together on an empty database would otherwise race in @effect/cluster's migrations (`CREATE TABLE`
 * answers `duplicate key value violates unique constraint "pg_type_typname_nsp_index"` to all but one).
 */
const oneRunnerAtATime = <A, E, R>(layer: Layer.Layer<A, E, R>) =>
  Layer.scopedContext(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const lockScope = yield* Scope.make()
    const connection = yield* Effect.orDie(Scope.extend(sql.reserve, lockScope))
    yield* Effect.orDie(connection.executeRaw(`SELECT pg_advisory_lock(${storageLock})`, []))
    return yield* Layer.build(layer).pipe(
      Effect.ensuring(
        Effect.zipRight(
          Effect.ignore(connection.executeRaw(`SELECT pg_advisory_unlock(${storageLock})`, [])),
          Scope.close(lockScope, Exit.void)
        )
      )
    )
  }))

export const layer = (options: UnrateCluster.ClusterOptions) => {
  const engine = oneRunnerAtATime(ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(NodeClusterSocket.layer({
      storage: "sql",
      shardingConfig: {
        ...options.shardingConfig,
        runnerAddress: Option.some(RunnerAddress.make(options.runnerAddress.host, options.runnerAddress.port))
      }
    }))
  ))
  const team = options.teamLimiter === "local" ? teamLayer(options) : Layer.unwrapScoped(
    Effect.map(
      TeamLimiter.make(options.teamId ?? "default", options.team.rate ?? Team.defaultRate),
      (limiter) => teamLayer({ ...options, team: { ...options.team, limiter } })
    )
  )
  return cleanup.layerWorkflows(settings(options)).pipe(
    Layer.provide(team),
    Layer.merge(TeamLimiter.layerEntity({ rate: options.team.rate ?? Team.defaultRate })),
    Layer.provideMerge(engine),
    Layer.provideMerge(pgLayer(options.pg))
  )
}

export const layerClient = (
  options: { readonly pg: UnrateCluster.PgOptions; readonly shardingConfig?: UnrateCluster.Options["shardingConfig"] }
) =>
  oneRunnerAtATime(ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(
      NodeClusterSocket.layer({ clientOnly: true, storage: "sql", shardingConfig: options.shardingConfig })
    )
  )).pipe(Layer.provideMerge(pgLayer(options.pg)))
