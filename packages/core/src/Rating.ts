/**
 * A personal rating as unrate sees it.
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
 * The wire form of a rating, as Apple and the emulator send it.
 *
 * @since 0.1.0
 * @category wire
 */
export const toResource = (rating: Rating): {
  readonly id: string
  readonly type: "ratings"
  readonly href: string
  readonly attributes: { readonly value: RatingValue }
} => ({
  id: rating.id,
  type: "ratings",
  href: `/v1/me/ratings/${rating.kind}/${encodeURIComponent(rating.id)}`,
  attributes: { value: rating.value }
})
