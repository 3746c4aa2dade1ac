/**
 * The rating requests as data. A backend (HTTP, in-memory) answers these; the
 * {@link AppleMusicRatings} service validates them first and adds retries,
 * rate limiting, batching and spans.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { LibraryItem } from "./LibraryItem.js"
import { Rating } from "./Rating.js"
import { LibraryRatingKind, RatingKind } from "./RatingKind.js"
import { RatingsError } from "./RatingsError.js"
import { RatingValue } from "./RatingValue.js"

const language = { language: Schema.optional(Schema.String) }

/**
 * `DELETE /v1/me/ratings/{kind}/{id}`.
 *
 * @since 0.1.0
 * @category requests
 */
export class DeleteRating extends Schema.TaggedRequest<DeleteRating>("@unrate/core/DeleteRating")("DeleteRating", {
  failure: RatingsError,
  success: Schema.Void,
  payload: { kind: RatingKind, id: Schema.String, ...language }
}) {}

/**
 * `GET /v1/me/ratings/{kind}/{id}`.
 *
 * @since 0.1.0
 * @category requests
 */
export class GetRating extends Schema.TaggedRequest<GetRating>("@unrate/core/GetRating")("GetRating", {
  failure: RatingsError,
  success: Rating,
  payload: { kind: RatingKind, id: Schema.String, ...language }
}) {}

/**
 * `GET /v1/me/ratings/{kind}?ids=…` (at most 100 ids): only rated ids come back.
 *
 * @since 0.1.0
 * @category requests
 */
export class GetRatings extends Schema.TaggedRequest<GetRatings>("@unrate/core/GetRatings")("GetRatings", {
  failure: RatingsError,
  success: Schema.Array(Rating),
  payload: { kind: RatingKind, ids: Schema.Array(Schema.String), ...language }
}) {}

/**
 * `PUT /v1/me/ratings/{kind}/{id}` with `{"type":"rating","attributes":{"value":±1}}`.
 *
 * @since 0.1.0
 * @category requests
 */
export class SetRating extends Schema.TaggedRequest<SetRating>("@unrate/core/SetRating")("SetRating", {
  failure: RatingsError,
  success: Rating,
  payload: { kind: RatingKind, id: Schema.String, value: RatingValue, ...language }
}) {}

/**
 * A page of library items, where the next page starts, if anywhere, and the
 * library's size when the page states it (`total`, since 0.3.0: Apple's `meta.total`).
 *
 * @since 0.1.0
 * @category models
 */
export const LibraryPageResult = Schema.Struct({
  items: Schema.Array(LibraryItem),
  next: Schema.optional(Schema.String),
  total: Schema.optional(Schema.NonNegativeInt)
})

/**
 * @since 0.1.0
 * @category models
 */
export type LibraryPageResult = typeof LibraryPageResult.Type

/**
 * One page of the library listing, `GET /v1/me/library/{type}`: `cursor` is
 * where the previous page said to continue (absent for the first page).
 *
 * @since 0.1.0
 * @category requests
 */
export class ListLibraryPage
  extends Schema.TaggedRequest<ListLibraryPage>("@unrate/core/ListLibraryPage")("ListLibraryPage", {
    failure: RatingsError,
    success: LibraryPageResult,
    payload: {
      kind: LibraryRatingKind,
      cursor: Schema.optional(Schema.String),
      limit: Schema.optional(Schema.Number),
      ...language
    }
  })
{}

/**
 * Any rating request.
 *
 * @since 0.1.0
 * @category models
 */
export type RatingRequest = DeleteRating | GetRating | GetRatings | SetRating | ListLibraryPage

/**
 * Answers one attempt of each request, with no validation, retry or pacing of
 * its own: the HTTP client and the in-memory store implement this, and
 * {@link AppleMusicRatings.make} turns one into the service.
 *
 * @since 0.1.0
 * @category models
 */
export interface RatingsBackend {
  readonly deleteRating: (request: DeleteRating) => Effect.Effect<void, RatingsError>
  readonly getRating: (request: GetRating) => Effect.Effect<Rating, RatingsError>
  readonly getRatings: (request: GetRatings) => Effect.Effect<ReadonlyArray<Rating>, RatingsError>
  readonly setRating: (request: SetRating) => Effect.Effect<Rating, RatingsError>
  readonly listLibraryPage: (
    request: ListLibraryPage
  ) => Effect.Effect<LibraryPageResult, RatingsError>
}
