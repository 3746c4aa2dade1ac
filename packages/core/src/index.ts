/**
 * @since 0.2.0
 */
export * as AppleMusicLimits from "./AppleMusicLimits.js"

/**
 * @since 0.1.0
 */
export * as AppleMusicRatings from "./AppleMusicRatings.js"

/**
 * @since 0.1.0
 */
export * as InMemoryRatings from "./InMemoryRatings.js"

/**
 * @since 0.2.0
 */
export * as LanguageTag from "./LanguageTag.js"

/**
 * @since 0.1.0
 */
export * as LibraryItem from "./LibraryItem.js"

/**
 * @since 0.1.0
 */
export * as RateLimiter from "./RateLimiter.js"

/**
 * @since 0.1.0
 */
export * as Rating from "./Rating.js"

/**
 * @since 0.1.0
 */
export * as RatingId from "./RatingId.js"

/**
 * @since 0.1.0
 */
export * as RatingKind from "./RatingKind.js"

/**
 * @since 0.1.0
 */
export * as RatingRequest from "./RatingRequest.js"

/**
 * @since 0.1.0
 */
export * as RatingsError from "./RatingsError.js"

/**
 * @since 0.1.0
 */
export * as RatingsMetrics from "./RatingsMetrics.js"

/**
 * @since 0.1.0
 */
export * as RatingValue from "./RatingValue.js"

/**
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * @since 0.2.0
 */
export * as Spelling from "./Spelling.js"

/**
 * @since 0.1.0
 */
export * as Batch from "./Batch.js"

/**
 * @since 0.1.0
 */
export * as Journal from "./Journal.js"
