/**
 * The team's adaptive rate limiter, shared by every runner of a cluster: a
 * cluster entity (one per team) owns core's `RateLimiter`, and each runner
 * reaches it through a `RateLimiter` of its own whose slots are reserved
 * there and whose answers (successes, 429s) are reported there. A 429 seen by
 * any runner slows all of them. The entity saves the rate it has learned in
 * the SQL database (`unrate_team_rates`): when its runner stops or dies, it
 * starts again on another one from that rate, probing upward, rather than at
 * the ceiling.
 *
 * @since 0.3.0
 */
import type * as Sharding from "@effect/cluster/Sharding"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as RateLimiter from "@unrate/core/RateLimiter"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/teamLimiter.js"

/**
 * The entity type.
 *
 * @since 0.3.0
 * @category entities
 */
export const TeamLimiterEntity = internal.TeamLimiterEntity

/**
 * Registers the entity on this runner: every runner of a cluster registers it
 * with the same `rate` (the ceiling, in requests per second). Its learned rate
 * lives in the table `SqlJournal.migrate` creates.
 *
 * @since 0.3.0
 * @category layers
 */
export const layerEntity: (
  options: { readonly rate: number }
) => Layer.Layer<never, never, Sharding.Sharding | SqlClient.SqlClient> = internal.layerEntity

/**
 * A limiter that paces with the team's entity `team`. Successes are reported
 * in batches every 100 ms (until the scope closes), 429s at once, with the
 * successes not yet reported (the entity counts those first). A call to
 * the entity gives up after 2 s (it is retried twice); while the entity is out
 * of reach (it is moving, every runner is stopping) and for 5 s after, and
 * once this runner's sharding has shut down, this runner paces itself with a
 * limiter of its own at `ceiling`, fed the same answers.
 *
 * @since 0.3.0
 * @category constructors
 */
export const make: (
  team: string,
  ceiling: number
) => Effect.Effect<RateLimiter.RateLimiter, never, Sharding.Sharding | Scope.Scope> = internal.make
