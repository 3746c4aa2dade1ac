/**
 * An in-memory ratings store behind the real {@link AppleMusicRatings}
 * service, for tests of code that uses unrate. It answers like Apple: 404 on a
 * missing rating, only rated ids from a lookup of many, ids validated before
 * anything is looked up. Failures can be scripted.
 *
 * @example
 * ```ts
 * import { AppleMusicRatings, InMemoryRatings } from "@unrate/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const store = yield* InMemoryRatings.InMemoryRatings
 *   yield* store.failNext(2, 503)
 *   yield* AppleMusicRatings.deleteRating("library-songs", "i.7PJNN4mfXlD68R")
 *   return yield* store.lookup("library-songs", "i.7PJNN4mfXlD68R")
 * }).pipe(Effect.provide(InMemoryRatings.layer({
 *   ratings: [["library-songs", "i.7PJNN4mfXlD68R", -1]],
 *   retry: InMemoryRatings.immediateRetry
 * })))
 *
 * Effect.runPromise(program).then((left) => assert.strictEqual(left, undefined))
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import type { PolicyOptions } from "./AppleMusicRatings.js"
import { AppleMusicRatings, make as makeServiceOver } from "./AppleMusicRatings.js"
import * as internal from "./internal/store.js"
import type { LibraryItem } from "./LibraryItem.js"
import * as RateLimiter from "./RateLimiter.js"
import { Rating } from "./Rating.js"
import type { LibraryRatingKind, RatingKind } from "./RatingKind.js"
import type { RatingRequest, RatingsBackend } from "./RatingRequest.js"
import type { RatingsError } from "./RatingsError.js"
import { fromStatus, isRatingsError } from "./RatingsError.js"
import type { RatingValue } from "./RatingValue.js"
import * as RetryPolicy from "./RetryPolicy.js"

/**
 * A scripted failure: an HTTP status (mapped as the HTTP client maps it), a
 * status with a `Retry-After` in milliseconds, or any {@link RatingsError}.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure = number | { readonly status: number; readonly retryAfterMillis?: number } | RatingsError

/**
 * Controls the in-memory store of the layer it came with.
 *
 * @since 0.1.0
 * @category models
 */
export interface Control {
  /** Adds or replaces ratings. */
  readonly seed: (ratings: Iterable<readonly [RatingKind, string, RatingValue]>) => Effect.Effect<void>
  /** Adds items to a library kind (what `listLibrary` pages through). */
  readonly addToLibrary: (kind: LibraryRatingKind, items: Iterable<LibraryItem>) => Effect.Effect<void>
  /**
   * Creates a library of `size` items with the given shares liked and disliked,
   * the same for the same seed; answers the ids it rated.
   */
  readonly seedLibrary: (options: SeedOptions) => Effect.Effect<{
    readonly likes: ReadonlyArray<string>
    readonly dislikes: ReadonlyArray<string>
  }>
  /** Every rating in the store. */
  readonly ratings: Effect.Effect<ReadonlyArray<Rating>>
  /** The value stored for one item, if rated. */
  readonly lookup: (kind: RatingKind, id: string) => Effect.Effect<RatingValue | undefined>
  /** The next `count` requests that reach the store fail so. */
  readonly failNext: (count: number, failure: Failure) => Effect.Effect<void>
  /** Every request from now on fails so, until {@link Control.clearFailures}. */
  readonly failAlways: (failure: Failure) => Effect.Effect<void>
  /** Removes every scripted failure. */
  readonly clearFailures: Effect.Effect<void>
  /** Every request that reached the store (one per attempt), oldest first. */
  readonly requests: Effect.Effect<ReadonlyArray<RatingRequest>>
  /** How many ratings of a kind (or of all kinds) are stored. */
  readonly count: (kind?: RatingKind) => Effect.Effect<number>
  /** How many items a library kind holds. */
  readonly libraryCount: (kind: LibraryRatingKind) => Effect.Effect<number>
  /** Empties the store, the script of failures and the request log. */
  readonly reset: Effect.Effect<void>
}

/**
 * A store and the backend answering from it, one attempt per request, for a
 * server (the emulator) or a client ({@link make}) to put in front of it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Store extends Control {
  readonly backend: RatingsBackend
}

/**
 * @since 0.1.0
 * @category tags
 */
export class InMemoryRatings extends Context.Tag("@unrate/core/InMemoryRatings")<InMemoryRatings, Control>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface SeedOptions {
  readonly kind: LibraryRatingKind
  readonly size: number
  /** Share of the items liked, 0–1. */
  readonly likes?: number | undefined
  /** Share of the items disliked, 0–1. */
  readonly dislikes?: number | undefined
  readonly seed?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StoreOptions {
  /** Ratings present from the start. */
  readonly ratings?: Iterable<readonly [RatingKind, string, RatingValue]> | undefined
  /** What deleting a rating that does not exist answers. Default 404 (NotFound). */
  readonly deleteMissing?: 204 | 404 | undefined
  /** Whether to keep the request log. Default true. */
  readonly log?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends PolicyOptions, StoreOptions {}

/**
 * The retry policy of the in-memory layer unless one is given: the default
 * policy's decisions without its waiting (a `Retry-After` is still honored),
 * so tests run on the TestClock without adjusting it.
 *
 * @since 0.1.0
 * @category constants
 */
export const immediateRetry: RetryPolicy.RetryPolicy = RetryPolicy.make({ base: "0 millis" })

interface Script {
  readonly next: ReadonlyArray<Failure>
  readonly always: Failure | undefined
}

const toError = (failure: Failure, request: RatingRequest): RatingsError => {
  if (isRatingsError(failure)) return failure
  const context = {
    operation: ({
      DeleteRating: "delete",
      GetRating: "get",
      GetRatings: "getMany",
      SetRating: "set",
      ListLibraryPage: "listLibrary"
    } as const)[request._tag],
    kind: request.kind,
    id: "id" in request ? request.id : undefined
  }
  return typeof failure === "number"
    ? fromStatus(failure, context)
    : fromStatus(failure.status, { ...context, retryAfterMillis: failure.retryAfterMillis })
}

/**
 * Builds an empty (or pre-rated) store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeStore = (options: StoreOptions = {}): Effect.Effect<Store> =>
  Effect.gen(function*() {
    const store = new internal.Store()
    for (const [kind, id, value] of options.ratings ?? []) store.set(kind, id, value)
    const script = yield* Ref.make<Script>({ next: [], always: undefined })
    const log: Array<RatingRequest> = []
    const keepLog = options.log ?? true

    const answer = <A>(request: RatingRequest, run: () => Effect.Effect<A, RatingsError>) =>
      Effect.gen(function*() {
        if (keepLog) log.push(request)
        const failure = yield* Ref.modify(
          script,
          (s): [Failure | undefined, Script] =>
            s.next.length > 0 ? [s.next[0], { ...s, next: s.next.slice(1) }] : [s.always, s]
        )
        if (failure !== undefined) return yield* Effect.fail(toError(failure, request))
        return yield* Effect.suspend(run)
      })

    const notFound = (request: RatingRequest & { readonly id: string }) =>
      Effect.fail(fromStatus(404, { operation: "get", kind: request.kind, id: request.id }))

    const backend: RatingsBackend = {
      deleteRating: (request) =>
        answer(request, () =>
          store.delete(request.kind, request.id) || options.deleteMissing === 204
            ? Effect.void
            : Effect.fail(fromStatus(404, { operation: "delete", kind: request.kind, id: request.id }))),
      getRating: (request) =>
        answer(request, () => {
          const value = store.get(request.kind, request.id)
          return value === undefined
            ? notFound(request)
            : Effect.succeed(new Rating({ kind: request.kind, id: request.id, value }))
        }),
      getRatings: (request) =>
        answer(request, () =>
          Effect.succeed(request.ids.flatMap((id) => {
            const value = store.get(request.kind, id)
            return value === undefined ? [] : [new Rating({ kind: request.kind, id, value })]
          }))),
      setRating: (request) =>
        answer(request, () => {
          store.set(request.kind, request.id, request.value)
          return Effect.succeed(new Rating({ kind: request.kind, id: request.id, value: request.value }))
        }),
      listLibraryPage: (request) =>
        answer(request, () => {
          const offset = request.cursor === undefined ? 0 : Number(request.cursor)
          const { items, total } = store.libraryPage(request.kind, offset, request.limit ?? 100)
          const next = offset + items.length < total ? String(offset + items.length) : undefined
          return Effect.succeed(next === undefined ? { items, total } : { items, next, total })
        })
    }

    return {
      backend,
      count: (kind) => Effect.sync(() => store.count(kind)),
      libraryCount: (kind) => Effect.sync(() => store.libraryPage(kind, 0, 0).total),
      seed: (ratings) =>
        Effect.sync(() => {
          for (const [kind, id, value] of ratings) store.set(kind, id, value)
        }),
      addToLibrary: (kind, items) => Effect.sync(() => store.addToLibrary(kind, items)),
      seedLibrary: (seedOptions) => Effect.sync(() => internal.seed(store, seedOptions)),
      ratings: Effect.sync(() =>
        [...store.ratings].flatMap(([kind, bucket]) =>
          [...bucket].map(([id, value]) => new Rating({ kind, id, value }))
        )
      ),
      lookup: (kind, id) => Effect.sync(() => store.get(kind, id)),
      failNext: (count, failure) =>
        Ref.update(script, (s) => ({ ...s, next: [...s.next, ...Array.from({ length: count }, () => failure)] })),
      failAlways: (failure) => Ref.update(script, (s) => ({ ...s, always: failure })),
      clearFailures: Ref.set(script, { next: [], always: undefined }),
      requests: Effect.sync(() => [...log]),
      reset: Effect.flatMap(
        Ref.set(script, { next: [], always: undefined }),
        () =>
          Effect.sync(() => {
            store.clear()
            log.length = 0
          })
      )
    }
  })

/**
 * The service over a store: the in-memory retry policy and no rate limit
 * unless the options say otherwise.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeService = (store: Store, options: PolicyOptions = {}): Effect.Effect<AppleMusicRatings["Type"]> =>
  Effect.gen(function*() {
    const rateLimiter = options.rateLimiter ??
      (options.rate === undefined ? RateLimiter.unlimited : yield* RateLimiter.make({ rate: options.rate }))
    return yield* makeServiceOver(store.backend, { retry: options.retry ?? immediateRetry, rateLimiter })
  })

/**
 * The service over a fresh in-memory store, and the store's control.
 *
 * Nothing in it waits unless the options ask: no rate limiter (a `rate` adds
 * one) and {@link immediateRetry} (a `retry` replaces it), so code under test
 * runs under `it.effect` without moving the `TestClock`. A scripted 429 with
 * `retryAfterMillis` is honored, as a real `Retry-After` would be: adjust the
 * clock for it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<AppleMusicRatings | InMemoryRatings> =>
  Layer.effectContext(Effect.gen(function*() {
    const store = yield* makeStore(options)
    const service = yield* makeService(store, options)
    return Context.make(AppleMusicRatings, service).pipe(Context.add(InMemoryRatings, store as Control))
  }))
