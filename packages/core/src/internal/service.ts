import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Request from "effect/Request"
import * as RequestResolver from "effect/RequestResolver"
import * as Stream from "effect/Stream"
import type { PolicyOptions, RequestOptions, Service } from "../AppleMusicRatings.js"
import * as LanguageTag from "../LanguageTag.js"
import type { LibraryItem } from "../LibraryItem.js"
import * as RateLimiter from "../RateLimiter.js"
import type { Rating } from "../Rating.js"
import * as RatingId from "../RatingId.js"
import type { LibraryRatingKind, RatingKind } from "../RatingKind.js"
import { isLibraryKind, isRatingKind } from "../RatingKind.js"
import type { RatingsBackend } from "../RatingRequest.js"
import { DeleteRating, GetRating, GetRatings, ListLibraryPage, SetRating } from "../RatingRequest.js"
import type { Operation, RatingsError } from "../RatingsError.js"
import { InvalidId, InvalidInput, NotFound, UnexpectedResponse } from "../RatingsError.js"
import * as RatingsMetrics from "../RatingsMetrics.js"
import { isRatingValue } from "../RatingValue.js"
import type { RatingValue } from "../RatingValue.js"
import * as RetryPolicy from "../RetryPolicy.js"

/** @internal */
export const defaultRate = 20

/** @internal */
export const batchSize = 100

const checkKind = (kind: RatingKind, operation: Operation): Effect.Effect<void, InvalidInput> =>
  isRatingKind(kind) ? Effect.void : Effect.fail(
    new InvalidInput({
      operation,
      field: "kind",
      value: kind,
      reason: "not a rating kind; use one of library-songs, library-albums, library-music-videos, " +
        "library-playlists, songs, albums, music-videos, playlists, stations"
    })
  )

const checkLanguage = (
  options: RequestOptions | undefined,
  operation: Operation,
  kind: RatingKind
): Effect.Effect<string | undefined, InvalidInput> => {
  const language = options?.language
  return language === undefined || LanguageTag.isLanguageTag(language)
    ? Effect.succeed(language)
    : Effect.fail(
      new InvalidInput({
        operation,
        kind,
        field: "language",
        value: language,
        reason: "not a BCP 47 language tag such as 'en-US'"
      })
    )
}

const checkId = (kind: RatingKind, id: string, operation: Operation): Effect.Effect<string, RatingsError> =>
  Either.match(RatingId.validate(kind, id), {
    onLeft: (error) =>
      Effect.fail(new InvalidId({ operation, id: error.id, reason: error.reason, ...(kind ? { kind } : {}) })),
    onRight: Effect.succeed
  })

const validate = (
  operation: Operation,
  kind: RatingKind,
  options: RequestOptions | undefined
): Effect.Effect<string | undefined, RatingsError> =>
  Effect.zipRight(checkKind(kind, operation), checkLanguage(options, operation, kind))

const statusOf = (exit: Exit.Exit<unknown, RatingsError>, success: number): number | string =>
  Exit.match(exit, {
    onSuccess: () => success,
    onFailure: (cause) => {
      const failure = Option.getOrUndefined(Cause.failureOption(cause))
      if (failure === undefined) return Cause.isInterruptedOnly(cause) ? "interrupted" : "defect"
      return "status" in failure && typeof failure.status === "number" ? failure.status : failure._tag
    }
  })

const tagged = new Map<string, {
  readonly retries: Metric.Metric.Counter<number>
  readonly duration: Metric.Metric.Histogram<number>
  readonly requests: Map<number | string, Metric.Metric.Counter<number>>
}>()

/** The service's metrics for one operation, tagged once and reused. */
const metricsFor = (operation: string) => {
  let found = tagged.get(operation)
  if (found === undefined) {
    found = {
      retries: Metric.tagged(RatingsMetrics.retries, "operation", operation),
      duration: Metric.tagged(RatingsMetrics.duration, "operation", operation),
      requests: new Map()
    }
    tagged.set(operation, found)
  }
  return found
}

const requestsFor = (operation: string, status: number | string) => {
  const metrics = metricsFor(operation)
  let counter = metrics.requests.get(status)
  if (counter === undefined) {
    counter = Metric.tagged(Metric.tagged(RatingsMetrics.requests, "operation", operation), "status", String(status))
    metrics.requests.set(status, counter)
  }
  return counter
}

/** Requests built here carry input the service has already validated. */
const trusted = { disableValidation: true } as const

/** Attempts of one call, counted across retries. */
interface Attempts {
  count: number
}

const dropUndefined = (options: { readonly language?: string | undefined }) =>
  options.language === undefined ? {} : { language: options.language }

/** @internal */
export const make = (backend: RatingsBackend, options: PolicyOptions = {}): Effect.Effect<Service> =>
  Effect.gen(function*() {
    // Whatever schedule the user gives, only what a retry can cure is retried (never 400, 401, 403, 404).
    const policy = RetryPolicy.onlyRetryable(options.retry ?? RetryPolicy.defaultPolicy)
    const ownLimiter = options.rateLimiter ?? (yield* RateLimiter.make({ rate: options.rate ?? defaultRate }))
    const currentLimiter = Effect.map(
      FiberRef.get(RateLimiter.currentOverride),
      Option.getOrElse(() => ownLimiter)
    )

    const send = <A>(attempts: Attempts, attempt: Effect.Effect<A, RatingsError>) =>
      Effect.flatMap(currentLimiter, (limiter) =>
        Effect.zipRight(
          limiter.take,
          Effect.suspend(() => {
            attempts.count++
            return Effect.tapBoth(attempt, {
              onFailure: (error) =>
                error._tag === "RateLimited"
                  ? limiter.rateLimited(Option.map(Option.fromNullable(error.retryAfterMillis), Duration.millis))
                  : error._tag === "NotFound" || error._tag === "BadRequest"
                  ? limiter.succeeded
                  : Effect.void,
              onSuccess: () => limiter.succeeded
            })
          })
        )).pipe(Effect.retry(policy))

    const traced = <A>(
      name: string,
      attributes: Record<string, unknown>,
      successStatus: number,
      run: (attempts: Attempts) => Effect.Effect<A, RatingsError>
    ): Effect.Effect<A, RatingsError> => {
      const metrics = metricsFor(name)
      return Effect.flatMap(Clock.currentTimeMillis, (started) => {
        const attempts: Attempts = { count: 0 }
        return run(attempts).pipe(
          Effect.onExit((exit) =>
            Effect.flatMap(
              Effect.zip(Clock.currentTimeMillis, FiberRef.get(FiberRef.currentMetricLabels)),
              ([now, labels]) => {
                const status = statusOf(exit, successStatus)
                requestsFor(name, status).unsafeUpdate(1, labels)
                if (attempts.count > 1) metrics.retries.unsafeUpdate(attempts.count - 1, labels)
                metrics.duration.unsafeUpdate(now - started, labels)
                return Effect.annotateCurrentSpan({ "unrate.attempts": attempts.count, "unrate.status": status })
              }
            )
          )
        )
      }).pipe(Effect.withSpan(name, { attributes, captureStackTrace: false }))
    }

    const resolver = RequestResolver.makeBatched((requests: Arr.NonEmptyArray<GetRating>) => {
      const groups = Arr.groupBy(requests, (request) => `${request.kind}\u0000${request.language ?? ""}`)
      return Effect.forEach(Object.values(groups), (group) => {
        const first = group[0]!
        if (group.length === 1) {
          return Effect.exit(send({ count: 0 }, backend.getRating(first))).pipe(
            Effect.flatMap((exit) => Request.complete(first, exit))
          )
        }
        const ids = Arr.dedupe(group.map((request) => request.id))
        return Effect.forEach(Arr.chunksOf(ids, batchSize), (chunk) => {
          const waiting = group.filter((request) => chunk.includes(request.id))
          const lookup = new GetRatings({ kind: first.kind, ids: chunk, ...dropUndefined(first) }, trusted)
          return Effect.exit(send({ count: 0 }, backend.getRatings(lookup))).pipe(
            Effect.flatMap((exit) =>
              Effect.forEach(waiting, (request) => {
                if (Exit.isFailure(exit)) return Request.failCause(request, exit.cause)
                const found = exit.value.find((rating) => rating.id === request.id)
                return found === undefined
                  ? Request.fail(
                    request,
                    new NotFound({ operation: "get", kind: request.kind, id: request.id, status: 404 })
                  )
                  : Request.succeed(request, found)
              }, { discard: true })
            )
          )
        }, { discard: true })
      }, { discard: true })
    })

    const deleteRating = (kind: RatingKind, id: string, options?: RequestOptions) =>
      traced(
        "unrate.deleteRating",
        { "unrate.operation": "delete", "unrate.kind": kind, "unrate.rating_id": id },
        204,
        (
          attempts
        ) =>
          Effect.gen(function*() {
            const language = yield* validate("delete", kind, options)
            yield* checkId(kind, id, "delete")
            yield* send(
              attempts,
              backend.deleteRating(new DeleteRating({ kind, id, ...dropUndefined({ language }) }, trusted))
            )
          })
      )

    const getRating = (kind: RatingKind, id: string, options?: RequestOptions) =>
      traced("unrate.getRating", { "unrate.operation": "get", "unrate.kind": kind, "unrate.rating_id": id }, 200, (
        attempts
      ) =>
        Effect.gen(function*() {
          const language = yield* validate("get", kind, options)
          yield* checkId(kind, id, "get")
          attempts.count++
          return yield* Effect.request(new GetRating({ kind, id, ...dropUndefined({ language }) }, trusted), resolver)
        }))

    const getRatings = (kind: RatingKind, ids: Iterable<string>, options?: RequestOptions) => {
      const unique = Arr.dedupe(ids)
      return traced(
        "unrate.getRatings",
        {
          "unrate.operation": "getMany",
          "unrate.kind": kind,
          "unrate.ids_count": unique.length
        },
        200,
        (attempts) =>
          Effect.gen(function*() {
            const language = yield* validate("getMany", kind, options)
            yield* Effect.forEach(unique, (id) => checkId(kind, id, "getMany"), { discard: true })
            const pages = yield* Effect.forEach(
              Arr.chunksOf(unique, batchSize),
              (chunk) =>
                send(
                  attempts,
                  backend.getRatings(new GetRatings({ kind, ids: chunk, ...dropUndefined({ language }) }, trusted))
                )
            )
            return pages.flat() as ReadonlyArray<Rating>
          })
      )
    }

    const setRating = (kind: RatingKind, id: string, value: RatingValue, options?: RequestOptions) =>
      traced("unrate.setRating", { "unrate.operation": "set", "unrate.kind": kind, "unrate.rating_id": id }, 200, (
        attempts
      ) =>
        Effect.gen(function*() {
          const language = yield* validate("set", kind, options)
          yield* checkId(kind, id, "set")
          if (!isRatingValue(value)) {
            return yield* new InvalidInput({
              operation: "set",
              kind,
              id,
              field: "value",
              value,
              reason: "use 1 (like) or -1 (dislike)"
            })
          }
          return yield* send(
            attempts,
            backend.setRating(new SetRating({ kind, id, value, ...dropUndefined({ language }) }, trusted))
          )
        }))

    const listLibrary = (kind: LibraryRatingKind, options?: RequestOptions): Stream.Stream<LibraryItem, RatingsError> =>
      Stream.unwrap(Effect.gen(function*() {
        const language = yield* validate("listLibrary", kind, options)
        if (!isLibraryKind(kind)) {
          return yield* new InvalidInput({
            operation: "listLibrary",
            field: "kind",
            value: kind,
            reason: "the library can be listed for library kinds only"
          })
        }
        return Stream.paginateChunkEffect(
          undefined as string | undefined,
          (cursor) =>
            traced("unrate.listLibraryPage", { "unrate.operation": "listLibrary", "unrate.kind": kind }, 200, (
              attempts
            ) =>
              send(
                attempts,
                backend.listLibraryPage(
                  new ListLibraryPage({
                    kind,
                    ...(cursor === undefined ? {} : { cursor }),
                    ...dropUndefined({ language })
                  })
                )
              )).pipe(
                Effect.flatMap(({ items, next }) =>
                  next !== undefined && next === cursor
                    ? Effect.fail(
                      new UnexpectedResponse({
                        operation: "listLibrary",
                        kind,
                        status: 200,
                        errors: [],
                        description: `the library page at ${JSON.stringify(cursor)} points to itself as next`
                      })
                    )
                    : Effect.succeed<[Chunk.Chunk<LibraryItem>, Option.Option<string | undefined>]>([
                      Chunk.fromIterable(items),
                      Option.fromNullable(next)
                    ])
                )
              )
        )
      }))

    return { deleteRating, getRating, getRatings, setRating, listLibrary, rateLimiter: ownLimiter }
  })
