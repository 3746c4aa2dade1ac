import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import type { RateLimiter } from "../RateLimiter.js"

/**
 * Told of every attempt the service sends (after its limiter slot), `retry`
 * true for the attempts after the first of a request: how the batch engine
 * counts requests and retries without guessing. Unset outside a batch.
 *
 * @internal
 */
export const currentOnAttempt: FiberRef.FiberRef<((retry: boolean) => void) | undefined> = globalValue(
  Symbol.for("@unrate/core/internal/attempts/currentOnAttempt"),
  () => FiberRef.unsafeMake<((retry: boolean) => void) | undefined>(undefined)
)

/** Where a service built by `AppleMusicRatings.make` keeps its limiter: not part of the service's shape. */
const clientLimiter: unique symbol = Symbol.for("@unrate/core/internal/attempts/clientLimiter")

/**
 * Marks a service with the limiter its requests wait for, so the batch engine
 * can wait for a slot itself (and give up the wait when the batch stops). The
 * marker is a symbol key, so services copied with a spread keep it.
 *
 * @internal
 */
export const withClientLimiter = <S extends object>(service: S, limiter: RateLimiter): S =>
  Object.assign(service, { [clientLimiter]: limiter })

/**
 * The limiter a service was built with, if it was built by
 * `AppleMusicRatings.make`; hand-written services have none.
 *
 * @internal
 */
export const clientLimiterOf = (service: object): RateLimiter | undefined =>
  (service as { readonly [clientLimiter]?: RateLimiter })[clientLimiter]
