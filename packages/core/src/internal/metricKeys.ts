import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricKey from "effect/MetricKey"

/** The keys of `RatingsMetrics`; the service tags them once per operation and status. @internal */
export const requests = MetricKey.counter("unrate_requests_total", {
  description: "Apple Music ratings calls by operation and final status"
})

/** @internal */
export const retries = MetricKey.counter("unrate_retries_total", {
  description: "Apple Music ratings attempts beyond the first, by operation"
})

/** @internal */
export const duration = MetricKey.histogram(
  "unrate_request_duration_ms",
  MetricBoundaries.exponential({ start: 1, factor: 2, count: 16 }),
  "Apple Music ratings call duration in milliseconds, by operation"
)
