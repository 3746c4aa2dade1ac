import * as Effect from "effect/Effect"
import type { Options, RateSummary } from "../Batch.js"
import * as RateLimiter from "../RateLimiter.js"

/** The rate a batch's own limiter starts probing from unless told. @internal */
export const defaultInitialRate = 20

/**
 * The batch's own limiter, when its options ask for one (a ceiling, an initial
 * rate or a fixed rate); otherwise the client's paces the batch.
 *
 * @internal
 */
export const ownLimiter = (
  options: Pick<Options, "rate" | "initialRate" | "fixedRate">
): Effect.Effect<RateLimiter.RateLimiter | undefined> => {
  if (options.rate === undefined && options.initialRate === undefined && options.fixedRate !== true) {
    return Effect.succeed(undefined)
  }
  const ceiling = options.rate !== undefined && options.rate > 0 ? options.rate : Infinity
  const initial = options.fixedRate === true ? ceiling : Math.min(options.initialRate ?? defaultInitialRate, ceiling)
  return RateLimiter.make({ rate: ceiling, initial })
}

/** The limiter's rate now and its peak, for a summary. @internal */
export const rateOf = (limiter: RateLimiter.RateLimiter | undefined): Effect.Effect<RateSummary | undefined> =>
  limiter === undefined
    ? Effect.succeed(undefined)
    : Effect.zipWith(limiter.currentRate, limiter.peakRate ?? limiter.currentRate, (final, peak) => ({ final, peak }))
