/**
 * The metrics every `AppleMusicRatings` service records, with Effect's
 * `Metric`: export them with `@effect/opentelemetry` (or read them with
 * `Metric.value`) like any other Effect metric.
 *
 * | metric | type | tags |
 * | --- | --- | --- |
 * | `unrate_requests_total` | counter | `operation` (the span name: `unrate.deleteRating`, `unrate.getRating`, `unrate.getRatings`, `unrate.setRating`, `unrate.listLibraryPage`), `status` (HTTP status, or the error tag when there was none) |
 * | `unrate_retries_total` | counter | `operation` |
 * | `unrate_request_duration_ms` | histogram, milliseconds, from the first attempt to the last | `operation` |
 *
 * @since 0.1.0
 */
import * as Metric from "effect/Metric"
import * as keys from "./internal/metricKeys.js"

/**
 * Calls of the service, by operation and final status (after retries).
 *
 * @since 0.1.0
 * @category metrics
 */
export const requests: Metric.Metric.Counter<number> = Metric.fromMetricKey(keys.requests)

/**
 * Retries (attempts beyond the first), by operation.
 *
 * @since 0.1.0
 * @category metrics
 */
export const retries: Metric.Metric.Counter<number> = Metric.fromMetricKey(keys.retries)

/**
 * How long calls took, retries and waits for the rate limiter included, by operation.
 *
 * @since 0.1.0
 * @category metrics
 */
export const duration: Metric.Metric.Histogram<number> = Metric.fromMetricKey(keys.duration)
