import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as Entity from "@effect/cluster/Entity"
import * as Sharding from "@effect/cluster/Sharding"
import * as Rpc from "@effect/rpc/Rpc"
import * as SqlClient from "@effect/sql/SqlClient"
import * as RateLimiter from "@unrate/core/RateLimiter"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as SqlJournal from "./sqlJournal.js"

export const TeamLimiterEntity = Entity.make("unrate/TeamLimiter", [
  Rpc.make("reserve", { success: Schema.Number }),
  Rpc.make("answered", {
    payload: { succeeded: Schema.Number, limited: Schema.Array(Schema.NullOr(Schema.Number)) }
  }),
  Rpc.make("rate", { success: Schema.Number })
]).annotateRpcs(ClusterSchema.Persisted, false)

const flushInterval = Duration.millis(100)

const callTimeout = Duration.seconds(2)

/** Tries of a call before the entity counts as out of reach (a few seconds: it may be moving between runners). */
const maxRetries = 2

/** How often the entity saves the rate it has learned (and once more when it stops). */
const saveInterval = Duration.seconds(1)

const savedRate = (sql: SqlClient.SqlClient, team: string) =>
  Effect.map(
    sql<{ rate: unknown }>`SELECT rate FROM ${sql(SqlJournal.teamRatesTable)} WHERE team = ${team}`,
    (rows) => rows.length === 0 ? undefined : Number(rows[0].rate)
  )

const saveRate = (sql: SqlClient.SqlClient, team: string, rate: number) =>
  Effect.flatMap(
    Clock.currentTimeMillis,
    (now) =>
      sql`INSERT INTO ${sql(SqlJournal.teamRatesTable)} ${sql.insert({ team, rate, updated_at: now })}
      ON CONFLICT (team) DO UPDATE SET rate = ${rate}, updated_at = ${now}`
  )

/**
 * The team's limiter, starting from the rate it had learned when its entity last stopped (wherever that was),
 * probing upward from there, rather than from the ceiling; the learned rate is saved while it changes.
 * It hands slots out however far ahead: its callers wait for them on their own runners, behind a call
 * with a timeout that a wait in the entity would run into.
 */
const teamLimiter = (ceiling: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const team = (yield* Entity.CurrentAddress).entityId
    const saved = yield* Effect.orElseSucceed(savedRate(sql, team), () => undefined)
    const limiter = yield* RateLimiter.make(
      saved !== undefined && Number.isFinite(saved) && saved > 0 && saved < ceiling
        ? { rate: ceiling, initial: saved, horizon: Infinity }
        : { rate: ceiling, horizon: Infinity }
    )
    let last = saved
    const save = Effect.flatMap(limiter.currentRate, (rate) => {
      if (!Number.isFinite(rate) || rate === last) return Effect.void
      last = rate
      return Effect.ignore(saveRate(sql, team, rate))
    })
    yield* Effect.forkScoped(Effect.repeat(save, Schedule.spaced(saveInterval)))
    yield* Effect.addFinalizer(() => save)
    return limiter
  })

export const layerEntity = (options: { readonly rate: number }) =>
  TeamLimiterEntity.toLayer(
    Effect.gen(function*() {
      const limiter = yield* teamLimiter(options.rate)
      const reserve = limiter.reserve ?? Effect.as(limiter.take, 0)
      return {
        reserve: () => reserve,
        answered: ({ payload }) =>
          Effect.gen(function*() {
            for (let i = 0; i < payload.succeeded; i++) yield* limiter.succeeded
            for (const retryAfter of payload.limited) {
              yield* limiter.rateLimited(retryAfter === null ? Option.none() : Option.some(Duration.millis(retryAfter)))
            }
          }),
        rate: () => limiter.currentRate
      }
    }),
    { concurrency: "unbounded" }
  )

/** After the entity could not be reached: this runner paces itself for this long before it tries again. */
const unreachableFor = Duration.seconds(5)

/**
 * A call to the entity, bounded: it is made interruptible, so its timeout holds even inside a request that
 * core's batch engine runs uninterruptibly (a sent request settles and is journaled), and a volatile message
 * sent to a runner that just gave the entity up, or to no runner at all (every runner is stopping), cannot hold
 * that request, and so the runner's shutdown, forever.
 */
const bounded = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.timeoutFail(Effect.interruptible(effect), { duration: callTimeout, onTimeout: () => "timeout" as const })

export const make = (team: string, ceiling: number) =>
  Effect.gen(function*() {
    const sharding = yield* Sharding.Sharding
    const fallback = yield* RateLimiter.make({ rate: ceiling })
    const client = (yield* TeamLimiterEntity.client)(team)
    const pending = yield* Ref.make(0)
    const unreachableUntil = yield* Ref.make(0)
    /** The entity's answer, or the fallback's while the entity is out of reach or this runner is stopping. */
    const call = <A>(effect: Effect.Effect<A, unknown>, otherwise: Effect.Effect<A>): Effect.Effect<A> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if ((yield* sharding.isShutdown) || now < (yield* Ref.get(unreachableUntil))) return yield* otherwise
        return yield* Effect.catchAll(
          Effect.retry(bounded(effect), Schedule.intersect(Schedule.spaced("100 millis"), Schedule.recurs(maxRetries))),
          () =>
            Effect.zipRight(
              Effect.flatMap(
                Clock.currentTimeMillis,
                (at) => Ref.set(unreachableUntil, at + Duration.toMillis(unreachableFor))
              ),
              otherwise
            )
        )
      })
    const tell = (payload: { readonly succeeded: number; readonly limited: ReadonlyArray<number | null> }) =>
      Effect.flatMap(
        sharding.isShutdown,
        (shutdown) => shutdown ? Effect.void : Effect.ignore(bounded(client.answered(payload, { discard: true })))
      )
    const flush = Effect.flatMap(
      Ref.getAndSet(pending, 0),
      (succeeded) => succeeded === 0 ? Effect.void : tell({ succeeded, limited: [] })
    )
    yield* Effect.forkScoped(Effect.repeat(flush, Schedule.spaced(flushInterval)))
    const reserve = call(client.reserve(), fallback.reserve ?? Effect.as(fallback.take, 0))
    const limiter: RateLimiter.RateLimiter = {
      reserve,
      take: Effect.flatMap(reserve, (millis) => millis > 0 ? Effect.sleep(Duration.millis(millis)) : Effect.void),
      // The successes not yet reported go with the 429: the entity weighs it against every answer before it.
      rateLimited: (retryAfter) =>
        Effect.zipRight(
          fallback.rateLimited(retryAfter),
          Effect.flatMap(Ref.getAndSet(pending, 0), (succeeded) =>
            tell({
              succeeded,
              limited: [Option.match(retryAfter, { onNone: () => null, onSome: Duration.toMillis })]
            }))
        ),
      succeeded: Effect.zipRight(fallback.succeeded, Ref.update(pending, (n) => n + 1)),
      currentRate: call(client.rate(), fallback.currentRate)
    }
    return limiter
  })
