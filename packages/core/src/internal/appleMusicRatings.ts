import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Metric from "effect/Metric"
import * as MetricKey from "effect/MetricKey"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import * as Request from "effect/Request"
import * as RequestResolver from "effect/RequestResolver"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import type { ListLibraryOptions, PolicyOptions, RequestOptions, Service } from "../AppleMusicRatings.js"
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
import { isRatingValue } from "../RatingValue.js"
import type { RatingValue } from "../RatingValue.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as attemptsHook from "./attempts.js"
import * as metricKeys from "./metricKeys.js"

/** @internal */
export const defaultRate = 20

/** @internal */
export const batchSize = 100

const kindError = (kind: RatingKind, operation: Operation): InvalidInput | undefined =>
  isRatingKind(kind) ? undefined : new InvalidInput({
    operation,
    field: "kind",
    value: kind,
    reason: "not a rating kind; use one of library-songs, library-albums, library-music-videos, " +
      "library-playlists, songs, albums, music-videos, playlists, stations"
  })

const languageError = (
  options: RequestOptions | undefined,
  operation: Operation,
  kind: RatingKind
): InvalidInput | undefined => {
  const language = options?.language
  return language === undefined || LanguageTag.isLanguageTag(language) ? undefined : new InvalidInput({
    operation,
    kind,
    field: "language",
    value: language,
    reason: "not a BCP 47 language tag such as 'en-US'"
  })
}

const idError = (kind: RatingKind, id: string, operation: Operation): InvalidId | undefined => {
  const checked = RatingId.validate(kind, id)
  return Either.isLeft(checked)
    ? new InvalidId({ operation, id: checked.left.id, reason: checked.left.reason, ...(kind ? { kind } : {}) })
    : undefined
}

const validate = (
  operation: Operation,
  kind: RatingKind,
  options: RequestOptions | undefined
): Effect.Effect<string | undefined, RatingsError> => {
  const error = kindError(kind, operation) ?? languageError(options, operation, kind)
  return error === undefined ? Effect.succeed(options?.language) : Effect.fail(error)
}

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
      retries: Metric.fromMetricKey(MetricKey.tagged(metricKeys.retries, "operation", operation)),
      duration: Metric.fromMetricKey(MetricKey.tagged(metricKeys.duration, "operation", operation)),
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
    counter = Metric.fromMetricKey(
      MetricKey.taggedWithLabels(metricKeys.requests, [
        MetricLabel.make("operation", operation),
        MetricLabel.make("status", String(status))
      ])
    )
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

interface Client {
  readonly backend: RatingsBackend
  /** Sends one request: waits for the limiter before every attempt, retries by the policy. */
  readonly send: <A>(attempts: Attempts, attempt: Effect.Effect<A, RatingsError>) => Effect.Effect<A, RatingsError>
  readonly resolver: RequestResolver.RequestResolver<GetRating>
}

const report = (limiter: RateLimiter.RateLimiter) => ({
  onFailure: (error: RatingsError) =>
    error._tag === "RateLimited"
      ? limiter.rateLimited(Option.map(Option.fromNullable(error.retryAfterMillis), Duration.millis))
      : error._tag === "NotFound" || error._tag === "BadRequest"
      ? limiter.succeeded
      : Effect.void,
  onSuccess: () => limiter.succeeded
})

/**
 * Every attempt waits for the current limiter (an override, or the client's),
 * then tells the batch engine. The first attempt runs outside `Effect.retry`;
 * only its failure starts the schedule, which sees that failure first.
 */
const makeSend =
  (policy: RetryPolicy.RetryPolicy, ownLimiter: RateLimiter.RateLimiter): Client["send"] =>
  <A>(attempts: Attempts, attempt: Effect.Effect<A, RatingsError>) =>
    Effect.withFiberRuntime<A, RatingsError>((fiber) => {
      const override = fiber.getFiberRef(RateLimiter.currentOverride)
      const onAttempt = fiber.getFiberRef(attemptsHook.currentOnAttempt)
      const limiter = override._tag === "Some" ? override.value : ownLimiter
      const reported = Effect.tapBoth(attempt, report(limiter))
      let sent = 0
      const once = Effect.zipRight(
        limiter.take,
        Effect.suspend(() => {
          attempts.count++
          onAttempt?.(sent++ > 0)
          return reported
        })
      )
      return Effect.catchAll(once, (first) => {
        let replayed = false
        const again = Effect.suspend(() => replayed ? once : (replayed = true, Effect.fail(first)))
        return Effect.retry(again, policy)
      })
    })

const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** The metrics of one call, its span only when a tracer that exports is installed (the built-in one keeps none). */
const traced = <A>(
  name: string,
  attributes: Record<string, unknown>,
  successStatus: number,
  run: (attempts: Attempts) => Effect.Effect<A, RatingsError>
): Effect.Effect<A, RatingsError> => {
  const metrics = metricsFor(name)
  return Effect.withFiberRuntime<A, RatingsError>((fiber, status) => {
    const services = fiber.getFiberRef(DefaultServices.currentServices)
    const clock = Context.get(services, Clock.Clock)
    const started = clock.unsafeCurrentTimeMillis()
    const attempts: Attempts = { count: 0 }
    const record = (exit: Exit.Exit<A, RatingsError>) => {
      const labels = fiber.getFiberRef(FiberRef.currentMetricLabels)
      const status = statusOf(exit, successStatus)
      requestsFor(name, status).unsafeUpdate(1, labels)
      if (attempts.count > 1) metrics.retries.unsafeUpdate(attempts.count - 1, labels)
      metrics.duration.unsafeUpdate(clock.unsafeCurrentTimeMillis() - started, labels)
      return status
    }
    const exporting = fiber.getFiberRef(FiberRef.currentTracerEnabled) &&
      Context.get(services, Tracer.Tracer) !== nativeTracer
    if (!exporting) {
      // Where nothing can interrupt the call (a batch's send), a match sees every end, as `onExit` would, for less.
      return RuntimeFlags.interruption(status.runtimeFlags)
        ? Effect.onExit(run(attempts), (exit) => Effect.sync(() => record(exit)))
        : Effect.matchCauseEffect(run(attempts), {
          onFailure: (cause) => {
            record(Exit.failCause(cause))
            return Effect.failCause(cause)
          },
          onSuccess: (value) => {
            record(Exit.succeed(value))
            return Effect.succeed(value)
          }
        })
    }
    return run(attempts).pipe(
      Effect.onExit((exit) =>
        Effect.annotateCurrentSpan({ "unrate.attempts": attempts.count, "unrate.status": record(exit) })
      ),
      Effect.withSpan(name, { attributes, captureStackTrace: false })
    )
  })
}

/** Answers the lookups waiting in one `GET …?ids=` call from its result. */
const completeLookups = (
  waiting: ReadonlyArray<GetRating>,
  exit: Exit.Exit<ReadonlyArray<Rating>, RatingsError>
) =>
  Effect.forEach(waiting, (request) => {
    if (Exit.isFailure(exit)) return Request.failCause(request, exit.cause)
    const found = exit.value.find((rating) => rating.id === request.id)
    return found === undefined
      ? Request.fail(request, new NotFound({ operation: "get", kind: request.kind, id: request.id, status: 404 }))
      : Request.succeed(request, found)
  }, { discard: true })

/** Single lookups made together are grouped by kind and language and sent 100 ids at a time. */
const makeResolver = (backend: RatingsBackend, send: Client["send"]) =>
  RequestResolver.makeBatched((requests: Arr.NonEmptyArray<GetRating>) => {
    const groups = Arr.groupBy(requests, (request) => `${request.kind}\u0000${request.language ?? ""}`)
    return Effect.forEach(Object.values(groups), (group) => {
      const first = group[0]!
      if (group.length === 1) {
        return Effect.exit(send({ count: 0 }, backend.getRating(first))).pipe(
          Effect.flatMap((exit) => Request.complete(first, exit))
        )
      }
      const ids = Array.from(new Set(group.map((request) => request.id)))
      return Effect.forEach(Arr.chunksOf(ids, batchSize), (chunk) => {
        const lookup = new GetRatings({ kind: first.kind, ids: chunk, ...dropUndefined(first) }, trusted)
        return Effect.exit(send({ count: 0 }, backend.getRatings(lookup))).pipe(
          Effect.flatMap((exit) => completeLookups(group.filter((request) => chunk.includes(request.id)), exit))
        )
      }, { discard: true })
    }, { discard: true })
  })

/**
 * The preamble of the operations on one rating: a span, the kind, language and
 * id checked, then `body` with the validated language.
 */
const onOne = <A>(
  name: string,
  operation: Operation,
  successStatus: number,
  kind: RatingKind,
  id: string,
  options: RequestOptions | undefined,
  body: (language: { readonly language?: string }, attempts: Attempts) => Effect.Effect<A, RatingsError>
): Effect.Effect<A, RatingsError> =>
  traced(
    name,
    { "unrate.operation": operation, "unrate.kind": kind, "unrate.rating_id": id },
    successStatus,
    (attempts) => {
      const error = kindError(kind, operation) ?? languageError(options, operation, kind) ??
        idError(kind, id, operation)
      if (error !== undefined) return Effect.fail(error)
      return body(options?.language === undefined ? {} : { language: options.language }, attempts)
    }
  )

const deleteRating = (client: Client) => (kind: RatingKind, id: string, options?: RequestOptions) =>
  onOne(
    "unrate.deleteRating",
    "delete",
    204,
    kind,
    id,
    options,
    (language, attempts) =>
      client.send(attempts, client.backend.deleteRating(new DeleteRating({ kind, id, ...language }, trusted)))
  )

const getRating = (client: Client) => (kind: RatingKind, id: string, options?: RequestOptions) =>
  onOne("unrate.getRating", "get", 200, kind, id, options, (language, attempts) =>
    Effect.suspend(() => {
      attempts.count++
      return Effect.request(new GetRating({ kind, id, ...language }, trusted), client.resolver)
    }))

const setRating = (client: Client) => (kind: RatingKind, id: string, value: RatingValue, options?: RequestOptions) =>
  onOne("unrate.setRating", "set", 200, kind, id, options, (language, attempts) =>
    isRatingValue(value)
      ? client.send(attempts, client.backend.setRating(new SetRating({ kind, id, value, ...language }, trusted)))
      : Effect.fail(
        new InvalidInput({ operation: "set", kind, id, field: "value", value, reason: "use 1 (like) or -1 (dislike)" })
      ))

const getRatings = (client: Client) => (kind: RatingKind, ids: Iterable<string>, options?: RequestOptions) => {
  // A Set, not Arr.dedupe: that compares every pair (with Equal), 5,000 comparisons per 100 ids.
  const unique = Array.from(new Set(ids))
  const attributes = { "unrate.operation": "getMany", "unrate.kind": kind, "unrate.ids_count": unique.length }
  return traced("unrate.getRatings", attributes, 200, (attempts) =>
    Effect.gen(function*() {
      const language = dropUndefined({ language: yield* validate("getMany", kind, options) })
      for (const id of unique) {
        const error = idError(kind, id, "getMany")
        if (error !== undefined) return yield* Effect.fail(error)
      }
      const pages = yield* Effect.forEach(
        Arr.chunksOf(unique, batchSize),
        (chunk) =>
          client.send(attempts, client.backend.getRatings(new GetRatings({ kind, ids: chunk, ...language }, trusted)))
      )
      return pages.flat() as ReadonlyArray<Rating>
    }))
}

type OnTotal = ListLibraryOptions["onTotal"]

/** One page of the library, its stated size told to `onTotal`; a page naming itself as the next is an error, not an endless loop. */
const libraryPage =
  (client: Client, kind: LibraryRatingKind, language: { readonly language?: string }, onTotal: OnTotal) =>
  (cursor: string | undefined) =>
    traced(
      "unrate.listLibraryPage",
      { "unrate.operation": "listLibrary", "unrate.kind": kind },
      200,
      (attempts) =>
        client.send(
          attempts,
          client.backend.listLibraryPage(
            new ListLibraryPage({ kind, ...(cursor === undefined ? {} : { cursor }), ...language })
          )
        )
    ).pipe(
      Effect.tap(({ total }) => total === undefined || onTotal === undefined ? Effect.void : onTotal(total)),
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

const listLibrary =
  (client: Client) =>
  (kind: LibraryRatingKind, options?: ListLibraryOptions): Stream.Stream<LibraryItem, RatingsError> =>
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
        libraryPage(client, kind, dropUndefined({ language }), options?.onTotal)
      )
    }))

/** @internal */
export const make = (backend: RatingsBackend, options: PolicyOptions = {}): Effect.Effect<Service> =>
  Effect.gen(function*() {
    // Whatever schedule the user gives, only what a retry can cure is retried (never 400, 401, 403, 404).
    const policy = RetryPolicy.onlyRetryable(options.retry ?? RetryPolicy.defaultPolicy)
    // Without a rate, the client finds the server's limit as a batch does: from defaultRate, probing upward.
    const ownLimiter = options.rateLimiter ??
      (yield* RateLimiter.make(
        options.rate === undefined ? { rate: Infinity, initial: defaultRate } : { rate: options.rate }
      ))
    const send = makeSend(policy, ownLimiter)
    const client: Client = { backend, send, resolver: makeResolver(backend, send) }
    const service: Service = {
      deleteRating: deleteRating(client),
      getRating: getRating(client),
      getRatings: getRatings(client),
      setRating: setRating(client),
      listLibrary: listLibrary(client)
    }
    return attemptsHook.withClientLimiter(service, ownLimiter)
  })
