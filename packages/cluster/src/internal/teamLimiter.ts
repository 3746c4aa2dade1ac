import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as Entity from "@effect/cluster/Entity"
import * as Rpc from "@effect/rpc/Rpc"
import * as RateLimiter from "@unrate/core/RateLimiter"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"

export const TeamLimiterEntity = Entity.make("unrate/TeamLimiter", [
  Rpc.make("reserve", { success: Schema.Number }),
  Rpc.make("answered", {
    payload: { succeeded: Schema.Number, limited: Schema.Array(Schema.NullOr(Schema.Number)) }
  }),
  Rpc.make("rate", { success: Schema.Number })
]).annotateRpcs(ClusterSchema.Persisted, false)

const flushInterval = Duration.millis(100)

const callTimeout = Duration.seconds(2)

/** About 10 s without the entity (a shutdown, a cluster without it): this runner paces itself meanwhile. */
const maxRetries = 5

export const layerEntity = (options: { readonly rate: number }) =>
  TeamLimiterEntity.toLayer(
    Effect.gen(function*() {
      const limiter = yield* RateLimiter.make({ rate: options.rate })
      const reserve = limiter.reserve ?? Effect.as(limiter.take, 0)
      return {
        reserve: () => reserve,
        answered: ({ payload }) =>
          Effect.gen(function*() {
            for (const retryAfter of payload.limited) {
              yield* limiter.rateLimited(retryAfter === null ? Option.none() : Option.some(Duration.millis(retryAfter)))
            }
            for (let i = 0; i < payload.succeeded; i++) yield* limiter.succeeded
          }),
        rate: () => limiter.currentRate
      }
    }),
    { concurrency: "unbounded" }
  )

/**
 * Calls to the entity are retried while it moves between runners: a volatile message sent to a runner that
 * just gave the entity up gets no answer, so each call also gives up after a while and is sent again.
 */
const retrying = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.timeoutFail({ duration: callTimeout, onTimeout: () => "timeout" as const }),
    Effect.retry(Schedule.intersect(Schedule.spaced("100 millis"), Schedule.recurs(maxRetries)))
  )

export const make = (team: string, ceiling: number) =>
  Effect.gen(function*() {
    const fallback = yield* RateLimiter.make({ rate: ceiling })
    const client = (yield* TeamLimiterEntity.client)(team)
    const pending = yield* Ref.make(0)
    const flush = Effect.flatMap(Ref.getAndSet(pending, 0), (succeeded) =>
      succeeded === 0 ? Effect.void : Effect.ignore(client.answered({ succeeded, limited: [] }, { discard: true })))
    yield* Effect.forkScoped(Effect.repeat(flush, Schedule.spaced(flushInterval)))
    const reserve = Effect.catchAll(
      retrying(client.reserve()),
      () =>
        fallback.reserve ?? Effect.as(fallback.take, 0)
    )
    const limiter: RateLimiter.RateLimiter = {
      reserve,
      take: Effect.flatMap(reserve, (millis) =>
        millis > 0 ? Effect.sleep(Duration.millis(millis)) : Effect.void),
      rateLimited: (retryAfter) =>
        Effect.ignore(client.answered({
          succeeded: 0,
          limited: [Option.match(retryAfter, {
            onNone: () => null,
            onSome: Duration.toMillis
          })]
        }, { discard: true })),
      succeeded: Ref.update(pending, (n) => n + 1),
      currentRate: Effect.catchAll(retrying(client.rate()), () => fallback.currentRate)
    }
    return limiter
  })
