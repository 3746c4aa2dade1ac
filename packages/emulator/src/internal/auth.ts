import * as AppleMusicLimits from "@unrate/core/AppleMusicLimits"
import * as Effect from "effect/Effect"
import * as Jose from "jose"

/** @internal */
export interface JwtOptions {
  readonly publicKey: string
  readonly keyId: string
  readonly teamId: string
}

/** @internal */
export type DeveloperCheck = (token: string | undefined, nowSeconds: number) => Effect.Effect<boolean>

const bearer = /^Bearer\s+(\S+)$/

/** @internal */
export const bearerToken = (header: string | undefined): string | undefined => header?.match(bearer)?.[1]

/** @internal */
export const fixed = (expected: string): DeveloperCheck => (token) => Effect.succeed(token === expected)

/**
 * Verifies ES256 developer tokens: signature, alg, kid, iss, exp, and a
 * lifetime (exp - iat) of at most `AppleMusicLimits.developerTokenMaxTtlSeconds`. Verified tokens are cached
 * until they expire.
 *
 * @internal
 */
export const jwt = (options: JwtOptions): Effect.Effect<DeveloperCheck> =>
  Effect.gen(function*() {
    const key = yield* Effect.promise(() => Jose.importSPKI(options.publicKey, "ES256"))
    const verified = new Map<string, number>()
    return (token, now) => {
      if (token === undefined) return Effect.succeed(false)
      const expiry = verified.get(token)
      if (expiry !== undefined) return Effect.succeed(now < expiry)
      return Effect.promise(async () => {
        try {
          const { payload, protectedHeader } = await Jose.jwtVerify(token, key, {
            algorithms: ["ES256"],
            issuer: options.teamId,
            currentDate: new Date(now * 1000)
          })
          const valid = protectedHeader.kid === options.keyId &&
            typeof payload.iat === "number" && typeof payload.exp === "number" &&
            payload.exp - payload.iat <= AppleMusicLimits.developerTokenMaxTtlSeconds && payload.iat <= now + 60
          if (valid) {
            if (verified.size > 1_000) verified.clear()
            verified.set(token, payload.exp!)
          }
          return valid
        } catch {
          return false
        }
      })
    }
  })
