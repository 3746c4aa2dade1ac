import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as InMemoryRatings from "@unrate/core/InMemoryRatings"
import { toResource } from "@unrate/core/Rating"
import * as RatingKind from "@unrate/core/RatingKind"
import { DeleteRating, GetRating, GetRatings, ListLibraryPage, SetRating } from "@unrate/core/RatingRequest"
import type { RatingsError } from "@unrate/core/RatingsError"
import { isRatingValue } from "@unrate/core/RatingValue"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import type { Faults, LogEntry } from "../Emulator.js"
import type { DeveloperCheck } from "./auth.js"
import { bearerToken } from "./auth.js"

/** @internal */
export interface State {
  readonly store: InMemoryRatings.Store
  readonly seed: number
  readonly checkDeveloper: DeveloperCheck
  readonly userToken: string
  /** Every user token accepted: all of them share the team's rate limit. */
  readonly userTokens: ReadonlySet<string>
  /** The team the rate limit counts for: the JWT's team id, or the one developer token accepted. */
  readonly team: string
  readonly admin: boolean
  readonly keepLog: boolean
  faults: Faults
  random: Random.Random
  readonly log: Array<LogEntry>
  readonly windows: Map<string, { start: number; count: number }>
  authenticated: number
}

/** @internal */
export const makeState = (options: {
  readonly store: InMemoryRatings.Store
  readonly seed: number
  readonly checkDeveloper: DeveloperCheck
  readonly userToken: string
  readonly userTokens?: ReadonlyArray<string> | undefined
  readonly team: string
  readonly faults: Faults
  readonly admin: boolean
  readonly log: boolean
}): State => ({
  store: options.store,
  seed: options.seed,
  checkDeveloper: options.checkDeveloper,
  userToken: options.userToken,
  userTokens: new Set([options.userToken, ...(options.userTokens ?? [])]),
  team: options.team,
  admin: options.admin,
  keepLog: options.log,
  faults: options.faults,
  random: Random.make(options.seed),
  log: [],
  windows: new Map(),
  authenticated: 0
})

/** @internal */
export const setFaults = (state: State, faults: Faults): void => {
  state.faults = faults
  state.windows.clear()
  state.authenticated = 0
  state.random = Random.make(state.seed)
}

/** Changes the rate limit alone, while running: the other faults, and the current window, stay. @internal */
export const setRateLimit = (state: State, limit: number | undefined): void => {
  state.faults = { ...state.faults, rateLimit: limit }
}

/** @internal */
export const reset = (state: State): Effect.Effect<void> =>
  Effect.zipRight(
    state.store.reset,
    Effect.sync(() => {
      setFaults(state, {})
      state.log.length = 0
    })
  )

/** A request the store carried out whose answer was never sent: the connection was dropped instead. */
interface Dropped {
  readonly _tag: "Dropped"
  readonly status: number
}

const isDropped = (value: unknown): value is Dropped =>
  typeof value === "object" && value !== null && (value as { _tag?: unknown })._tag === "Dropped"

/** With the `dropAfterCommit` fault, a committed DELETE or PUT loses its answer: the connection is destroyed. */
const dropAfterCommit = (
  state: State,
  request: HttpServerRequest.HttpServerRequest,
  response: HttpServerResponse.HttpServerResponse
): Effect.Effect<HttpServerResponse.HttpServerResponse | Dropped> =>
  response.status >= 300
    ? Effect.succeed(response)
    : Effect.map(chance(state, state.faults.dropAfterCommit), (drop) => {
      if (!drop) return response
      NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
      return { _tag: "Dropped", status: response.status }
    })

const appleError = (status: number, code: string, title: string, detail?: string, source?: Record<string, string>) =>
  HttpServerResponse.unsafeJson({
    errors: [{
      id: `${code}-${status}`,
      title,
      ...(detail === undefined ? {} : { detail }),
      status: String(status),
      code,
      ...(source === undefined ? {} : { source })
    }]
  }, { status })

const invalidParameter = (parameter: string, detail: string) =>
  appleError(400, "40005", "Invalid Parameter Value", detail, { parameter })

const fromError = (error: RatingsError) => {
  switch (error._tag) {
    case "NotFound":
      return appleError(404, "40400", "Resource Not Found", "No rating exists for this resource")
    case "Unauthorized":
      return HttpServerResponse.empty({ status: 401 })
    case "Forbidden":
      return appleError(403, "40300", "Invalid authentication")
    case "RateLimited":
      return appleError(429, "42900", "API Capacity Exceeded")
    case "BadRequest":
      return appleError(400, "40005", "Invalid Parameter Value")
    case "ServerError":
      return appleError(error.status, "50001", "Upstream Service Error")
    default:
      return appleError(500, "50000", "Internal Service Error")
  }
}

const answer = <A>(
  effect: Effect.Effect<A, RatingsError>,
  onSuccess: (a: A) => HttpServerResponse.HttpServerResponse
) => Effect.match(effect, { onFailure: fromError, onSuccess })

const languageOf = (url: URL): { readonly language?: string } => {
  const language = url.searchParams.get("l")
  return language === null ? {} : { language }
}

const ratings = (
  state: State,
  request: HttpServerRequest.HttpServerRequest,
  url: URL,
  kind: RatingKind.RatingKind,
  id: string | undefined
) =>
  Effect.gen(function*() {
    const language = languageOf(url)
    if (id === undefined) {
      if (request.method !== "GET") return HttpServerResponse.empty({ status: 405 })
      const ids = (url.searchParams.get("ids") ?? "").split(",").filter((part) => part !== "")
      if (ids.length === 0) return invalidParameter("ids", "The ids parameter is required")
      if (ids.length > 100) return invalidParameter("ids", "At most 100 ids are allowed")
      return yield* answer(
        state.store.backend.getRatings(new GetRatings({ kind, ids, ...language })),
        (found) => HttpServerResponse.unsafeJson({ data: found.map(toResource) })
      )
    }
    switch (request.method) {
      case "GET":
        return yield* answer(
          state.store.backend.getRating(new GetRating({ kind, id, ...language })),
          (rating) => HttpServerResponse.unsafeJson({ data: [toResource(rating)] })
        )
      case "DELETE":
        return yield* dropAfterCommit(
          state,
          request,
          yield* answer(
            state.store.backend.deleteRating(new DeleteRating({ kind, id, ...language })),
            () => HttpServerResponse.empty({ status: 204 })
          )
        )
      case "PUT": {
        const body = yield* Effect.orElseSucceed(request.json, () => undefined)
        const value = (body as { attributes?: { value?: unknown } } | undefined)?.attributes?.value
        if ((body as { type?: unknown } | undefined)?.type !== "rating" || !isRatingValue(value)) {
          return appleError(400, "40005", "Invalid Parameter Value", "The rating value must be 1 or -1", {
            pointer: "/attributes/value"
          })
        }
        return yield* dropAfterCommit(
          state,
          request,
          yield* answer(
            state.store.backend.setRating(new SetRating({ kind, id, value, ...language })),
            (rating) => HttpServerResponse.unsafeJson({ data: [toResource(rating)] })
          )
        )
      }
      default:
        return HttpServerResponse.empty({ status: 405 })
    }
  })

const library = (state: State, url: URL, kind: RatingKind.LibraryRatingKind, segment: string) => {
  const limitParam = url.searchParams.get("limit")
  const offsetParam = url.searchParams.get("offset")
  const limit = limitParam === null ? 25 : Number(limitParam)
  const offset = offsetParam === null ? 0 : Number(offsetParam)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    return Effect.succeed(invalidParameter("limit", "Value must be an integer from 1 to 100"))
  }
  if (!Number.isInteger(offset) || offset < 0) {
    return Effect.succeed(invalidParameter("offset", "Value must be a non-negative integer"))
  }
  return Effect.gen(function*() {
    const total = yield* state.store.libraryCount(kind)
    const page = yield* Effect.orDie(
      state.store.backend.listLibraryPage(
        new ListLibraryPage({ kind, cursor: String(offset), limit, ...languageOf(url) })
      )
    )
    const end = offset + page.items.length
    return HttpServerResponse.unsafeJson({
      data: page.items,
      ...(end < total ? { next: `/v1/me/library/${segment}?offset=${end}` } : {}),
      meta: { total }
    })
  })
}

const admin = (state: State, request: HttpServerRequest.HttpServerRequest, path: string) =>
  Effect.gen(function*() {
    switch (`${request.method} ${path}`) {
      case "GET /__admin/state": {
        const all = yield* state.store.ratings
        return HttpServerResponse.unsafeJson({
          ratings: all.map((rating) => [rating.kind, rating.id, rating.value]),
          requests: state.log.length,
          faults: state.faults
        })
      }
      case "GET /__admin/log":
        return HttpServerResponse.unsafeJson({ log: state.log })
      case "POST /__admin/reset":
        yield* reset(state)
        return HttpServerResponse.empty({ status: 204 })
      case "POST /__admin/faults": {
        const faults = yield* Effect.orElseSucceed(request.json, () => undefined)
        if (typeof faults !== "object" || faults === null) return HttpServerResponse.empty({ status: 400 })
        setFaults(state, faults as Faults)
        return HttpServerResponse.empty({ status: 204 })
      }
      case "POST /__admin/rate-limit": {
        const body = yield* Effect.orElseSucceed(request.json, () => undefined)
        const limit = typeof body === "object" && body !== null ? (body as { limit?: unknown }).limit : undefined
        if (limit !== null && (typeof limit !== "number" || !(limit > 0))) {
          return HttpServerResponse.empty({ status: 400 })
        }
        setRateLimit(state, limit ?? undefined)
        return HttpServerResponse.empty({ status: 204 })
      }
      case "POST /__admin/seed": {
        const options = (yield* Effect.orElseSucceed(request.json, () => undefined)) as
          | InMemoryRatings.SeedOptions
          | undefined
        if (options === undefined || !RatingKind.isLibraryKind(options.kind)) {
          return HttpServerResponse.empty({ status: 400 })
        }
        const seeded = yield* state.store.seedLibrary({ seed: state.seed, ...options })
        return HttpServerResponse.unsafeJson(seeded)
      }
    }
    return appleError(404, "40400", "Resource Not Found")
  })

const chance = (state: State, share: number | undefined) =>
  share === undefined || share <= 0 ? Effect.succeed(false) : Effect.map(state.random.next, (n) => n < share)

const rateLimited = (state: State, token: string, now: number): number | undefined => {
  const limit = state.faults.rateLimit
  if (limit === undefined || limit <= 0) return undefined
  const window = state.windows.get(token)
  if (window === undefined || now - window.start >= 1000) {
    state.windows.set(token, { start: now, count: 1 })
    return undefined
  }
  window.count++
  return window.count > limit ? window.start + 1000 - now : undefined
}

const route = (state: State, request: HttpServerRequest.HttpServerRequest, url: URL) =>
  Effect.gen(function*() {
    const path = url.pathname
    if (path.startsWith("/__admin/")) {
      return state.admin ? yield* admin(state, request, path) : appleError(404, "40400", "Resource Not Found")
    }
    const faults = state.faults
    if (faults.latency !== undefined) yield* Effect.sleep(Duration.decode(faults.latency))
    if (yield* chance(state, faults.resetRate)) {
      NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
      return undefined
    }

    const now = yield* Clock.currentTimeMillis
    const developerToken = bearerToken(request.headers["authorization"])
    if (!(yield* state.checkDeveloper(developerToken, Math.floor(now / 1000)))) {
      return HttpServerResponse.empty({ status: 401 })
    }
    const expired = faults.userTokenExpiresAfter !== undefined && state.authenticated >= faults.userTokenExpiresAfter
    const userToken = request.headers["music-user-token"]
    if (typeof userToken !== "string" || !state.userTokens.has(userToken) || expired) {
      return appleError(403, "40300", "Invalid authentication")
    }
    state.authenticated++

    const wait = rateLimited(state, state.team, now)
    if (wait !== undefined || (yield* chance(state, faults.error429))) {
      const response = appleError(429, "42900", "API Capacity Exceeded")
      return faults.retryAfter === true
        ? HttpServerResponse.setHeader(response, "retry-after", String(Math.max(1, Math.ceil((wait ?? 1000) / 1000))))
        : response
    }
    if (yield* chance(state, faults.error500)) return appleError(500, "50001", "Upstream Service Error")
    if (yield* chance(state, faults.error503)) return appleError(503, "50300", "Service Unavailable")

    const segments = path.split("/")
    if (segments[1] !== "v1" || segments[2] !== "me") return appleError(404, "40400", "Resource Not Found")
    if (segments[3] === "ratings" && segments.length >= 5 && segments.length <= 6) {
      const kind = segments[4]!
      if (!RatingKind.isRatingKind(kind)) {
        return appleError(400, "40008", "Invalid Path Value", `'${kind}' is not a valid ratings type`)
      }
      const rawId = segments[5]
      if (rawId === "") return appleError(404, "40400", "Resource Not Found")
      let id: string | undefined
      try {
        id = rawId === undefined ? undefined : decodeURIComponent(rawId)
      } catch {
        return appleError(404, "40400", "Resource Not Found")
      }
      return yield* ratings(state, request, url, kind, id)
    }
    if (segments[3] === "library" && segments.length === 5 && request.method === "GET") {
      const kind = RatingKind.fromLibrarySegment(segments[4]!)
      if (kind === undefined) return appleError(400, "40008", "Invalid Path Value")
      return yield* library(state, url, kind, segments[4]!)
    }
    return appleError(404, "40400", "Resource Not Found")
  })

/** @internal */
export const handler = (state: State) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = new URL(request.url, "http://127.0.0.1")
    const routed = yield* route(state, request, url)
    const dropped = isDropped(routed)
    const response = dropped ? undefined : routed
    if (state.keepLog && !url.pathname.startsWith("/__admin/")) {
      const at = yield* Clock.currentTimeMillis
      const path = url.pathname + url.search
      state.log.push(
        dropped
          ? { method: request.method, path, status: routed.status, dropped: true, at }
          : { method: request.method, path, status: response?.status ?? 0, at }
      )
    }
    return response ?? HttpServerResponse.empty({ status: 500 })
  })
