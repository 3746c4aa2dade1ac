/**
 * A real HTTP server on loopback that behaves like the ratings part of the
 * Apple Music API: ratings GET / GET many / PUT / DELETE for all nine kinds,
 * library listing with `limit`, `offset` and `next`, Apple's status codes and
 * error bodies, token checks, and faults (rate limits, errors, latency,
 * connection resets, a user token that expires mid-run), all seeded so a run
 * can be repeated.
 *
 * @example
 * ```ts
 * import { Emulator } from "@unrate/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const emulator = yield* Emulator.make({ library: [{ kind: "library-songs", size: 100, dislikes: 0.2 }] })
 *   console.log(emulator.url)
 * }))
 * ```
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as InMemoryRatings from "@unrate/core/InMemoryRatings"
import type { LibraryRatingKind } from "@unrate/core/RatingKind"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import * as auth from "./internal/auth.js"
import * as internal from "./internal/emulator.js"

/**
 * The developer token the emulator accepts unless told otherwise.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultDeveloperToken = "emulator-developer-token"

/**
 * The music user token the emulator accepts unless told otherwise.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultUserToken = "emulator-user-token"

/**
 * Faults to inject; each is off unless set.
 *
 * @since 0.1.0
 * @category models
 */
export interface Faults {
  /**
   * Requests per second allowed per team (1-second windows), whatever the user
   * token: the JWT's team id, or the one developer token accepted; beyond it, 429.
   */
  readonly rateLimit?: number | undefined
  /** Whether 429s carry `Retry-After` (seconds to the end of the window). Default false, as Apple. */
  readonly retryAfter?: boolean | undefined
  /** Share of requests answered 500, 0–1. */
  readonly error500?: number | undefined
  /** Share of requests answered 503, 0–1. */
  readonly error503?: number | undefined
  /** Share of requests answered 429 at random (besides the rate limit), 0–1. */
  readonly error429?: number | undefined
  /** Share of requests whose connection is destroyed before an answer, 0–1. */
  readonly resetRate?: number | undefined
  /**
   * Share of DELETEs and PUTs that the store carries out (commits) and whose
   * connection is then destroyed without an answer, 0–1: the client sees a
   * reset, though the change was made (a retry of the DELETE then finds
   * nothing: 404). Seeded like every fault; the request log keeps the
   * committed status with `dropped: true`.
   *
   * @since 0.2.0
   */
  readonly dropAfterCommit?: number | undefined
  /** Latency added to every request. */
  readonly latency?: Duration.DurationInput | undefined
  /** After this many authenticated requests, the user token answers 403 (expired). */
  readonly userTokenExpiresAfter?: number | undefined
}

/**
 * A library to create at start.
 *
 * @since 0.1.0
 * @category models
 */
export interface LibrarySeed {
  readonly kind: LibraryRatingKind
  readonly size: number
  /** Share liked, 0–1. */
  readonly likes?: number | undefined
  /** Share disliked, 0–1. */
  readonly dislikes?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Default 0: a free port. */
  readonly port?: number | undefined
  /** The seed of every random choice (library ids, ratings, faults). Default 1. */
  readonly seed?: number | undefined
  /** The accepted developer token. Default {@link defaultDeveloperToken}. */
  readonly developerToken?: string | undefined
  /**
   * Verify developer tokens as ES256 JWTs (signature, alg, kid, iss, exp, and
   * exp - iat at most `AppleMusicLimits.developerTokenMaxTtlSeconds`) instead of comparing with a fixed string.
   */
  readonly jwt?: { readonly publicKey: string; readonly keyId: string; readonly teamId: string } | undefined
  /** The accepted music user token. Default {@link defaultUserToken}. */
  readonly userToken?: string | undefined
  /**
   * More music user tokens to accept (other users of the same app). Every user
   * token shares one rate limit: Apple throttles per developer account (team).
   *
   * @since 0.3.0
   */
  readonly userTokens?: ReadonlyArray<string> | undefined
  /** What deleting a missing rating answers. Default 404. */
  readonly deleteMissing?: 204 | 404 | undefined
  readonly library?: ReadonlyArray<LibrarySeed> | undefined
  readonly faults?: Faults | undefined
  /** Serve `/__admin/…` (state, log, reset, faults, rate-limit, seed). Off by default. */
  readonly admin?: boolean | undefined
  /** Keep the request log (and the store's log of requests). Default true. */
  readonly log?: boolean | undefined
}

/**
 * One request the emulator answered: never a token value. `status` 0 means the
 * connection was reset on purpose before the request was carried out.
 *
 * @since 0.1.0
 * @category models
 */
export interface LogEntry {
  readonly method: string
  readonly path: string
  readonly status: number
  /**
   * True when the request was carried out (`status` is the answer it would have
   * had) but its connection was dropped without an answer (the
   * `dropAfterCommit` fault).
   *
   * @since 0.2.0
   */
  readonly dropped?: boolean | undefined
  /** When the answer was decided, in epoch milliseconds. */
  readonly at: number
}

/**
 * A running emulator.
 *
 * @since 0.1.0
 * @category models
 */
export interface Emulator {
  /** `http://127.0.0.1:<port>`: the base URL for clients. */
  readonly url: string
  readonly port: number
  readonly developerToken: string
  readonly userToken: string
  /** The ratings and library behind the server. */
  readonly store: InMemoryRatings.Store
  /** Every request answered so far, oldest first. */
  readonly requestLog: Effect.Effect<ReadonlyArray<LogEntry>>
  /** Replaces the faults. */
  readonly setFaults: (faults: Faults) => Effect.Effect<void>
  /**
   * Changes the rate limit (`undefined`: none) while running, keeping the
   * other faults and the current window.
   *
   * @since 0.3.0
   */
  readonly setRateLimit: (limit: number | undefined) => Effect.Effect<void>
  /** Empties the store and the log, clears faults and rate windows. */
  readonly reset: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class EmulatorTag extends Context.Tag("@unrate/emulator/Emulator")<EmulatorTag, Emulator>() {}

/**
 * Starts the emulator on 127.0.0.1 (a free port unless one is given); it stops
 * when the scope closes, dropping open connections.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Emulator, ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    const seed = options.seed ?? 1
    const store = yield* InMemoryRatings.makeStore({
      deleteMissing: options.deleteMissing ?? 404,
      log: options.log ?? true
    })
    for (const [index, library] of (options.library ?? []).entries()) {
      yield* store.seedLibrary({ ...library, seed: seed + index })
    }
    const developerToken = options.developerToken ?? defaultDeveloperToken
    const userToken = options.userToken ?? defaultUserToken
    const checkDeveloper = options.jwt === undefined ? auth.fixed(developerToken) : yield* auth.jwt(options.jwt)
    const state = internal.makeState({
      store,
      seed,
      checkDeveloper,
      userToken,
      userTokens: options.userTokens,
      team: options.jwt?.teamId ?? developerToken,
      faults: options.faults ?? {},
      admin: options.admin ?? false,
      log: options.log ?? true
    })
    const nodeServer = Http.createServer({ keepAliveTimeout: 5_000 })
    const server = yield* NodeHttpServer.make(() => nodeServer, { port: options.port ?? 0, host: "127.0.0.1" })
    yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
    yield* server.serve(internal.handler(state))
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      developerToken,
      userToken,
      store,
      requestLog: Effect.sync(() => [...state.log]),
      setFaults: (faults) => Effect.sync(() => internal.setFaults(state, faults)),
      setRateLimit: (limit) => Effect.sync(() => internal.setRateLimit(state, limit)),
      reset: internal.reset(state)
    }
  })

/**
 * The emulator as a scoped layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<EmulatorTag, ServeError> =>
  Layer.scoped(EmulatorTag, make(options))
