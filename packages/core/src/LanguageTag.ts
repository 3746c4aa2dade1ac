/**
 * Language tags: Apple's `l` query parameter, which picks the language of
 * localized attributes. unrate accepts the shape of a BCP 47 tag (a 1–8 letter
 * language, then `-` and 1–8 letters or digits per subtag: `en`, `en-GB`,
 * `zh-Hant-TW`), the one rule the service and the CLI both check.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"

const pattern = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/

/**
 * Whether a value has the shape of a BCP 47 language tag such as `en-GB`.
 *
 * @since 0.2.0
 * @category guards
 */
export const isLanguageTag = (u: unknown): u is string => typeof u === "string" && pattern.test(u)

/**
 * Why a value is not a language tag, or `undefined` when it is one.
 *
 * @since 0.2.0
 * @category validation
 */
export const problem = (u: unknown): string | undefined =>
  isLanguageTag(u) ? undefined : "not a BCP 47 language tag such as 'en-US'"

/**
 * A string with the shape of a BCP 47 language tag.
 *
 * @since 0.2.0
 * @category schemas
 */
export const LanguageTag: Schema.filter<typeof Schema.String> = Schema.String.pipe(
  Schema.filter((tag) => problem(tag) ?? true)
)
