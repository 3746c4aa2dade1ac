/**
 * Apple Music developer tokens: ES256 JWTs signed with a MusicKit private key
 * (.p8), or a ready token. Signing uses `jose`, a maintained, dependency-free
 * JOSE implementation for every JavaScript runtime.
 *
 * @since 0.1.0
 */
import * as AppleMusicLimits from "@unrate/core/AppleMusicLimits"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Jose from "jose"

/**
 * The longest lifetime Apple accepts: 15,777,000 s (six months), as
 * `AppleMusicLimits.developerTokenMaxTtlSeconds` in `@unrate/core` defines it.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxTtlSeconds: number = AppleMusicLimits.developerTokenMaxTtlSeconds

/**
 * How far below {@link maxTtlSeconds} a signed token stays: Apple has refused
 * tokens whose `exp` sat exactly at the limit.
 *
 * @since 0.1.0
 * @category constants
 */
export const safetyMarginSeconds = 3_600

/**
 * The lifetime of tokens the client signs for itself: 12 hours.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTtlSeconds = 43_200

/**
 * What signing a developer token needs. The private key is the PEM text of the
 * .p8 file Apple gave you.
 *
 * @since 0.1.0
 * @category models
 */
export interface SigningMaterial {
  /** Your 10-character Apple Developer team id (the `iss` claim). */
  readonly teamId: string
  /** The 10-character id of the MusicKit key (the `kid` header). */
  readonly keyId: string
  /** The PEM text of the .p8 private key. */
  readonly privateKey: Redacted.Redacted<string>
}

/**
 * Signing material that cannot sign: the team id or key id is malformed, the
 * key does not parse, or the lifetime is out of range. The message never
 * contains the key.
 *
 * @since 0.1.0
 * @category errors
 */
export class SigningError extends Schema.TaggedError<SigningError>("@unrate/platform/SigningError")("SigningError", {
  setting: Schema.String,
  reason: Schema.String
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Cannot sign an Apple Music developer token: ${this.setting} ${this.reason}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SignOptions {
  /** Lifetime in seconds. Default 12 hours; at most 15,777,000. */
  readonly ttlSeconds?: number | undefined
  /** The optional `origin` claim: the web origins allowed to use the token. */
  readonly origin?: ReadonlyArray<string> | undefined
}

/**
 * A private key ready to sign with.
 *
 * @since 0.1.0
 * @category models
 */
export interface Signer {
  readonly teamId: string
  readonly keyId: string
  /** Signs a token now (by the Clock), answering it and its expiry in epoch seconds. */
  readonly sign: (options?: SignOptions) => Effect.Effect<{
    readonly token: Redacted.Redacted<string>
    readonly expiresAt: number
  }, SigningError>
}

const tenCharacters = /^[A-Z0-9]{10}$/

const normalizePem = (pem: string): string => {
  const text = pem.includes("\\n") && !pem.includes("\n") ? pem.replace(/\\n/g, "\n") : pem
  const trimmed = text.trim()
  if (trimmed.startsWith("-----BEGIN")) return trimmed
  const body = trimmed.replace(/\s+/g, "").replace(/(.{64})/g, "$1\n")
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`
}

/**
 * Checks the ttl asked for: a positive whole number of seconds, at most
 * {@link maxTtlSeconds}. The token is then signed for at most
 * `maxTtlSeconds - safetyMarginSeconds`.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkTtl = (ttlSeconds: number): Effect.Effect<number, SigningError> =>
  Number.isInteger(ttlSeconds) && ttlSeconds > 0 && ttlSeconds <= maxTtlSeconds
    ? Effect.succeed(Math.min(ttlSeconds, maxTtlSeconds - safetyMarginSeconds))
    : Effect.fail(
      new SigningError({
        setting: "ttl",
        reason: `must be a whole number of seconds from 1 to ${maxTtlSeconds} (six months); got ${ttlSeconds}.`
      })
    )

/**
 * Imports a private key once; the signer then signs as often as asked.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSigner = (material: SigningMaterial): Effect.Effect<Signer, SigningError> =>
  Effect.gen(function*() {
    if (!tenCharacters.test(material.teamId)) {
      return yield* new SigningError({
        setting: "APPLE_MUSIC_TEAM_ID",
        reason: "must be the 10-character team id shown in your Apple Developer account (A–Z, 0–9)."
      })
    }
    if (!tenCharacters.test(material.keyId)) {
      return yield* new SigningError({
        setting: "APPLE_MUSIC_KEY_ID",
        reason: "must be the 10-character id of your MusicKit key (A–Z, 0–9)."
      })
    }
    const key = yield* Effect.tryPromise({
      try: () => Jose.importPKCS8(normalizePem(Redacted.value(material.privateKey)), "ES256"),
      catch: () =>
        new SigningError({
          setting: "APPLE_MUSIC_PRIVATE_KEY",
          reason: "is not a PKCS #8 P-256 private key: use the whole text of the .p8 file Apple gave you."
        })
    })
    const sign = (options: SignOptions = {}) =>
      Effect.gen(function*() {
        const ttl = yield* checkTtl(options.ttlSeconds ?? defaultTtlSeconds)
        const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        const claims = options.origin === undefined ? {} : { origin: [...options.origin] }
        const token = yield* Effect.tryPromise({
          try: () =>
            new Jose.SignJWT(claims)
              .setProtectedHeader({ alg: "ES256", kid: material.keyId })
              .setIssuer(material.teamId)
              .setIssuedAt(now)
              .setExpirationTime(now + ttl)
              .sign(key),
          catch: () => new SigningError({ setting: "APPLE_MUSIC_PRIVATE_KEY", reason: "could not sign." })
        })
        return { token: Redacted.make(token), expiresAt: now + ttl }
      })
    return { teamId: material.teamId, keyId: material.keyId, sign }
  })

/**
 * Signs one developer token (what `unrate token` prints).
 *
 * @since 0.1.0
 * @category constructors
 */
export const sign = (
  material: SigningMaterial,
  options?: SignOptions
): Effect.Effect<Redacted.Redacted<string>, SigningError> =>
  Effect.flatMap(makeSigner(material), (signer) => Effect.map(signer.sign(options), ({ token }) => token))

/**
 * Where the client gets the developer token for each request: a fixed token
 * ({@link fromToken}) or one signed and re-signed from signing material
 * ({@link fromSigningMaterial}).
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly get: Effect.Effect<Redacted.Redacted<string>>
}

/**
 * A fixed, ready-made token.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromToken = (token: Redacted.Redacted<string>): Service => ({ get: Effect.succeed(token) })

/**
 * Signs a token on first use, keeps it, and signs a new one when less than a
 * tenth of its lifetime (at least a minute) remains.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSigningMaterial = (
  material: SigningMaterial,
  options: SignOptions = {}
): Effect.Effect<Service, SigningError> =>
  Effect.gen(function*() {
    const signer = yield* makeSigner(material)
    const ttl = yield* checkTtl(options.ttlSeconds ?? defaultTtlSeconds)
    const refreshBefore = Math.max(60, Math.floor(ttl / 10))
    const cached = yield* Ref.make<
      { readonly token: Redacted.Redacted<string>; readonly expiresAt: number } | undefined
    >(
      undefined
    )
    const semaphore = yield* Effect.makeSemaphore(1)
    const get = semaphore.withPermits(1)(Effect.gen(function*() {
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const current = yield* Ref.get(cached)
      if (current !== undefined && now < current.expiresAt - refreshBefore) return current.token
      const fresh = yield* Effect.orDie(signer.sign(options))
      yield* Ref.set(cached, fresh)
      return fresh.token
    }))
    return { get }
  })
