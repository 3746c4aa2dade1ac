/**
 * The music user tokens of the app's users. unrate never stores them: every
 * chunk of a clean-up asks this service for the user's current token, and a
 * user who revoked access ends their clean-up as forbidden.
 *
 * @since 0.3.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/**
 * The user took back the app's access (or the app has no token for them).
 *
 * @since 0.3.0
 * @category errors
 */
export class TokenRevoked extends Schema.TaggedError<TokenRevoked>("@unrate/cluster/TokenRevoked")("TokenRevoked", {
  userId: Schema.String
}) {
  /**
   * @since 0.3.0
   */
  override get message(): string {
    return `The music user token of ${this.userId} is revoked`
  }
}

/**
 * @since 0.3.0
 * @category models
 */
export interface Service {
  /** The user's current music user token. */
  readonly get: (userId: string) => Effect.Effect<Redacted.Redacted<string>, TokenRevoked>
}

/**
 * @since 0.3.0
 * @category tags
 */
export class UserTokens extends Context.Tag("@unrate/cluster/UserTokens")<UserTokens, Service>() {}

/**
 * A layer of the service from a lookup function.
 *
 * @since 0.3.0
 * @category layers
 */
export const layer = (get: Service["get"]): Layer.Layer<UserTokens> => Layer.succeed(UserTokens, { get })

/**
 * A layer of the service from a fixed map of tokens; a user missing from it is revoked.
 *
 * @since 0.3.0
 * @category layers
 */
export const fromMap = (tokens: ReadonlyMap<string, Redacted.Redacted<string>>): Layer.Layer<UserTokens> =>
  layer((userId) => {
    const token = tokens.get(userId)
    return token === undefined ? Effect.fail(new TokenRevoked({ userId })) : Effect.succeed(token)
  })
