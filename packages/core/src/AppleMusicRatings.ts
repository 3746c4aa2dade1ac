/**
 * The service: delete, look up and set personal ratings, and list the library.
 *
 * @example
 * ```ts
 * import { AppleMusicRatings } from "@unrate/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const ratings = yield* AppleMusicRatings.AppleMusicRatings
 *   yield* ratings.deleteRating("library-songs", "i.7PJNN4mfXlD68R")
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as internal from "./internal/appleMusicRatings.js"
import type { LibraryItem } from "./LibraryItem.js"
import type { RateLimiter } from "./RateLimiter.js"
import type { Rating } from "./Rating.js"
import type { LibraryRatingKind, RatingKind } from "./RatingKind.js"
import type { RatingsBackend } from "./RatingRequest.js"
import type { RatingsError } from "./RatingsError.js"
import type { RatingValue } from "./RatingValue.js"
import type { RetryPolicy } from "./RetryPolicy.js"

/**
 * Per-request options.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions {
  /** Apple's `l` query parameter: a BCP 47 language tag such as `en-GB`. */
  readonly language?: string | undefined
}

/**
 * Options of a library listing: those of every request, and `onTotal`, run
 * with the library's size (Apple's `meta.total`) when a page states it, before
 * that page's items are emitted. A service that cannot tell never runs it.
 *
 * @since 0.3.0
 * @category models
 */
export interface ListLibraryOptions extends RequestOptions {
  readonly onTotal?: ((total: number) => Effect.Effect<void>) | undefined
}

/**
 * The operations of the service, and nothing else: a hand-written mock (or
 * any other implementation) supplies these five. The limiter of a client made
 * by {@link make} stays inside it; `RateLimiter.withLimiter` (or a batch's
 * `rate`) replaces it for the effects it wraps.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Deletes a rating; fails with NotFound when there is none. */
  readonly deleteRating: (kind: RatingKind, id: string, options?: RequestOptions) => Effect.Effect<void, RatingsError>
  /**
   * Looks up one rating; fails with NotFound when there is none. Lookups made
   * together (`Effect.forEach(ids, get, { batching: true })`) are sent as
   * `GET …?ids=` calls of at most 100 ids.
   */
  readonly getRating: (kind: RatingKind, id: string, options?: RequestOptions) => Effect.Effect<Rating, RatingsError>
  /** Looks up many ratings (100 ids per request); only rated ids come back. */
  readonly getRatings: (
    kind: RatingKind,
    ids: Iterable<string>,
    options?: RequestOptions
  ) => Effect.Effect<ReadonlyArray<Rating>, RatingsError>
  /** Sets a rating: 1 like, -1 dislike. */
  readonly setRating: (
    kind: RatingKind,
    id: string,
    value: RatingValue,
    options?: RequestOptions
  ) => Effect.Effect<Rating, RatingsError>
  /**
   * Every item of a library kind, paged 100 at a time, following `next` until
   * it is gone; `options.onTotal` hears the library's size from each page that states it.
   */
  readonly listLibrary: (
    kind: LibraryRatingKind,
    options?: ListLibraryOptions
  ) => Stream.Stream<LibraryItem, RatingsError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class AppleMusicRatings extends Context.Tag("@unrate/core/AppleMusicRatings")<AppleMusicRatings, Service>() {}

/**
 * How a client treats failures and pacing.
 *
 * @since 0.1.0
 * @category models
 */
export interface PolicyOptions {
  /**
   * The retry policy. Default {@link RetryPolicy.defaultPolicy}; `RetryPolicy.never` turns retries off. Any
   * schedule is applied to retryable errors only (RateLimited, ServerError, Transport).
   */
  readonly retry?: RetryPolicy | undefined
  /**
   * Requests per second for this client (all fibers together), fixed: the
   * client never probes past it. `Infinity` for no limit until a 429. Default:
   * none; the client starts at {@link defaultRate} and probes upward while no
   * 429 comes, as a batch and the `unrate` command do (see `RateLimiter`).
   */
  readonly rate?: number | undefined
  /** A limiter to use instead of one built from `rate` (to share one between clients). */
  readonly rateLimiter?: RateLimiter | undefined
}

/**
 * The rate a client without a `rate` starts at (it probes upward from there).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultRate: number = internal.defaultRate

/**
 * Builds the service from a backend that answers one attempt of each request:
 * input is validated before the backend sees it, every attempt waits for the
 * shared limiter, failures are retried by the policy, single lookups are
 * batched, and each operation runs in a span (`unrate.deleteRating`, …) with
 * its kind, id, status and attempt count, never a token. The limiter stays
 * inside the client (the batch engine still finds it, and a running batch is
 * told of every attempt sent, for its `requests` and `retries`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (backend: RatingsBackend, options?: PolicyOptions) => Effect.Effect<Service> = internal.make

/**
 * A layer of the service over a backend.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (backend: RatingsBackend, options?: PolicyOptions): Layer.Layer<AppleMusicRatings> =>
  Layer.effect(AppleMusicRatings, make(backend, options))

/**
 * Deletes a rating with the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const deleteRating = (
  kind: RatingKind,
  id: string,
  options?: RequestOptions
): Effect.Effect<void, RatingsError, AppleMusicRatings> =>
  Effect.flatMap(AppleMusicRatings, (service) => service.deleteRating(kind, id, options))

/**
 * Looks up a rating with the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const getRating = (
  kind: RatingKind,
  id: string,
  options?: RequestOptions
): Effect.Effect<Rating, RatingsError, AppleMusicRatings> =>
  Effect.flatMap(AppleMusicRatings, (service) => service.getRating(kind, id, options))

/**
 * Looks up many ratings with the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const getRatings = (
  kind: RatingKind,
  ids: Iterable<string>,
  options?: RequestOptions
): Effect.Effect<ReadonlyArray<Rating>, RatingsError, AppleMusicRatings> =>
  Effect.flatMap(AppleMusicRatings, (service) => service.getRatings(kind, ids, options))

/**
 * Sets a rating with the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const setRating = (
  kind: RatingKind,
  id: string,
  value: RatingValue,
  options?: RequestOptions
): Effect.Effect<Rating, RatingsError, AppleMusicRatings> =>
  Effect.flatMap(AppleMusicRatings, (service) => service.setRating(kind, id, value, options))

/**
 * Lists a library kind with the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const listLibrary = (
  kind: LibraryRatingKind,
  options?: ListLibraryOptions
): Stream.Stream<LibraryItem, RatingsError, AppleMusicRatings> =>
  Stream.unwrap(Effect.map(AppleMusicRatings, (service) => service.listLibrary(kind, options)))
