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
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import type * as ConfigError from "effect/ConfigError"
import type * as Layer from "effect/Layer"
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
