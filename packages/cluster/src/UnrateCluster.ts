/**
 * The layers that run clean-ups: the SQL database, the cluster's workflow
 * engine, the `Cleanup` and `Undo` workflows and the team's client. The app
 * provides `UserTokens`.
 *
 * @example
 * ```ts
 * import { Cleanup, UnrateCluster, UserTokens } from "@unrate/cluster"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const Live = UnrateCluster.layerSingle({
 *   filename: "/var/lib/my-app/unrate.sqlite",
 *   team: { developerToken: Redacted.make("eyJhbGciOiJFUzI1NiIs…"), rate: 20 }
 * }).pipe(Layer.provide(UserTokens.layer((userId) => Effect.succeed(Redacted.make(`token-of-${userId}`)))))
 *
 * const program = Cleanup.status("order-42").pipe(Effect.provide(Live))
 * ```
 *
 * @since 0.3.0
 */
import type * as Sharding from "@effect/cluster/Sharding"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import type * as SocketServer from "@effect/platform/SocketServer"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import type * as ConfigError from "effect/ConfigError"
import type * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as internal from "./internal/unrateCluster.js"
import type * as Team from "./Team.js"
import type { UserTokens } from "./UserTokens.js"

/**
 * What every layer takes.
 *
 * @since 0.3.0
 * @category models
 */
export interface Options {
  /** The Apple developer team every clean-up runs under. */
  readonly team: Team.Options
  /** Targets per chunk (one activity, one batch each). Default 500. */
  readonly chunkSize?: number | undefined
  /** Requests in flight at once per clean-up. Default 8. */
  readonly concurrency?: number | undefined
  /** Overrides of the cluster's sharding settings. */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}

/**
 * @since 0.3.0
 * @category models
 */
export interface SingleOptions extends Options {
  /** The SQLite file holding the workflows, their messages and the journals. */
  readonly filename: string
}

/**
 * The embedded default: one process, one SQLite file, the cluster's
 * `SingleRunner`. Stopped and started again on the same file, it resumes every
 * unfinished clean-up.
 *
 * @since 0.3.0
 * @category layers
 */
export const layerSingle: (
  options: SingleOptions
) => Layer.Layer<WorkflowEngine | SqlClient.SqlClient, SqlError.SqlError | ConfigError.ConfigError, UserTokens> =
  internal.layerSingle

/**
 * The shared PostgreSQL database of a cluster.
 *
 * @since 0.3.0
 * @category models
 */
export interface PgOptions {
  /** `postgres://user@host:port/database`. */
  readonly url: Redacted.Redacted<string>
  /** Connections of this process. Default 10. */
  readonly maxConnections?: number | undefined
}

/**
 * @since 0.3.0
 * @category models
 */
export interface ClusterOptions extends Options {
  readonly pg: PgOptions
  /** Where the other runners reach this one (the runner listens there). */
  readonly runnerAddress: { readonly host: string; readonly port: number }
  /**
   * `"cluster"` (default): one adaptive limiter for the whole team, owned by a
   * cluster entity (see `TeamLimiter`), at `team.rate`; `"local"`: a limiter per
   * runner, each at `team.rate`.
   */
  readonly teamLimiter?: "cluster" | "local" | undefined
  /** The team's name, for its limiter entity. Default `"default"`. */
  readonly teamId?: string | undefined
}

/**
 * One runner of a cluster: the workflows, their messages, the runners'
 * shard assignments and the journals live in PostgreSQL; runners talk to each
 * other over sockets. Start as many as you like, each with its own address:
 * the shards (and the clean-ups on them) are spread over the runners alive,
 * and a runner's clean-ups move to the others when it dies.
 *
 * @since 0.3.0
 * @category layers
 */
export const layer: (
  options: ClusterOptions
) => Layer.Layer<
  WorkflowEngine | SqlClient.SqlClient,
  SqlError.SqlError | ConfigError.ConfigError | SocketServer.SocketServerError,
  UserTokens
> = internal.layer

/**
 * A client of a cluster that runs no clean-up itself (an HTTP front end, an
 * admin tool): it starts, reads, cancels and undoes clean-ups that the
 * runners carry out, and reaches the cluster's entities (`TeamLimiter`).
 *
 * @since 0.3.0
 * @category layers
 */
export const layerClient: (
  options: { readonly pg: PgOptions; readonly shardingConfig?: Options["shardingConfig"] }
) => Layer.Layer<
  WorkflowEngine | SqlClient.SqlClient | Sharding.Sharding,
  SqlError.SqlError | ConfigError.ConfigError
> = internal.layerClient
