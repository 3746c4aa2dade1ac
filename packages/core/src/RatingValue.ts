/**
 * The value of a personal rating: like is 1, dislike is -1, nothing else.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category schemas
 */
export const RatingValue = Schema.Literal(1, -1)

/**
 * A rating value: 1 (like) or -1 (dislike).
 *
 * @since 0.1.0
 * @category models
 */
export type RatingValue = typeof RatingValue.Type

/**
 * @since 0.1.0
 * @category constants
 */
export const like: RatingValue = 1

/**
 * @since 0.1.0
 * @category constants
 */
export const dislike: RatingValue = -1

/**
 * @since 0.1.0
 * @category guards
 */
export const isRatingValue: (u: unknown) => u is RatingValue = Schema.is(RatingValue)

/**
 * Which ratings a sweep keeps: likes, dislikes or all of them.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RatingFilter = Schema.Literal("like", "dislike", "all")

/**
 * @since 0.1.0
 * @category models
 */
export type RatingFilter = typeof RatingFilter.Type

/**
 * Whether a rating value is kept by a filter.
 *
 * @since 0.1.0
 * @category predicates
 */
export const matches = (filter: RatingFilter, value: RatingValue): boolean =>
  filter === "all" || (filter === "like" ? value === like : value === dislike)

/**
 * `like` or `dislike`.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toName = (value: RatingValue): "like" | "dislike" => value === like ? "like" : "dislike"
