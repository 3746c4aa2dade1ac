import type * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"

/**
 * What ends a limiter's unbooked wait early (a batch's stop, set once around
 * its workers): the limiter then answers a wait of 0 without booking a slot.
 */
export const currentStop: FiberRef.FiberRef<Effect.Effect<void> | undefined> = globalValue(
  Symbol.for("@unrate/core/RateLimiter/currentStop"),
  () => FiberRef.unsafeMake<Effect.Effect<void> | undefined>(undefined)
)
