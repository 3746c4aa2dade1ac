/**
 * A personal rating as unrate sees it, and the wire shapes Apple answers with.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { RatingKind } from "./RatingKind.js"
import { RatingValue } from "./RatingValue.js"

/**
 * One personal rating: the kind and id of the rated item and its value.
 *
 * @since 0.1.0
 * @category models
 */
export class Rating extends Schema.Class<Rating>("@unrate/core/Rating")({
  kind: RatingKind,
  id: Schema.String,
  value: RatingValue
}) {}

/**
 * Apple's `Ratings` resource.
 *
 * @since 0.1.0
 * @category wire
 */
export const RatingResource = Schema.Struct({
  id: Schema.String,
  type: Schema.optional(Schema.String),
  href: Schema.optional(Schema.String),
  attributes: Schema.Struct({ value: RatingValue })
})

/**
 * @since 0.1.0
 * @category wire
 */
export type RatingResource = typeof RatingResource.Type

/**
 * Apple's `RatingsResponse`: `{ "data": Ratings[] }`.
 *
 * @since 0.1.0
 * @category wire
 */
export const RatingsResponse = Schema.Struct({ data: Schema.Array(RatingResource) })

/**
 * @since 0.1.0
 * @category wire
 */
export type RatingsResponse = typeof RatingsResponse.Type

/**
 * The wire form of a rating, as Apple and the emulator send it.
 *
 * @since 0.1.0
 * @category wire
 */
export const toResource = (rating: Rating): RatingResource => ({
  id: rating.id,
  type: "ratings",
  href: `/v1/me/ratings/${rating.kind}/${encodeURIComponent(rating.id)}`,
  attributes: { value: rating.value }
})

/**
 * The body of `PUT /v1/me/ratings/{kind}/{id}`.
 *
 * @since 0.1.0
 * @category wire
 */
export const RatingRequestBody = Schema.Struct({
  type: Schema.Literal("rating"),
  attributes: Schema.Struct({ value: RatingValue })
})

/**
 * @since 0.1.0
 * @category wire
 */
export type RatingRequestBody = typeof RatingRequestBody.Type
