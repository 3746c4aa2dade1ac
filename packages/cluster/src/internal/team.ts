import * as HttpClient from "@effect/platform/HttpClient"
import * as AppleMusicRatings from "@unrate/core/AppleMusicRatings"
import * as RateLimiter from "@unrate/core/RateLimiter"
import * as AppleMusicClient from "@unrate/platform/AppleMusicClient"
import * as Effect from "effect/Effect"
import type * as Team from "../Team.js"

export const defaultRate = AppleMusicRatings.defaultRate

export const make = (options: Team.Options): Effect.Effect<Team.Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const limiter = options.limiter ?? (yield* RateLimiter.make({ rate: options.rate ?? defaultRate }))
    const client = yield* HttpClient.HttpClient
    return {
      limiter,
      ratingsFor: (userToken) =>
        AppleMusicClient.make({
          developerToken: options.developerToken,
          userToken,
          rateLimiter: limiter,
          ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
          ...(options.retry === undefined ? {} : { retry: options.retry }),
          ...(options.timeout === undefined ? {} : { timeout: options.timeout })
        }).pipe(Effect.provideService(HttpClient.HttpClient, client))
    }
  })
