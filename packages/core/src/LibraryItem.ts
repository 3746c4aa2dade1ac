/**
 * Items of the user's library, as the library listing returns them (Apple's
 * wire format is read in `@unrate/platform`).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * One library item. Library items carry no rating: a sweep looks the ratings
 * up separately.
 *
 * @since 0.1.0
 * @category models
 */
export const LibraryItem = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  attributes: Schema.optional(Schema.Struct({
    name: Schema.optional(Schema.String),
    artistName: Schema.optional(Schema.String)
  }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type LibraryItem = typeof LibraryItem.Type
