import * as HttpClient from "@effect/platform/HttpClient"
import { RequestError } from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import { Effect, Either, Layer } from "effect"

export interface Recorded {
  readonly method: string
  /** The URL exactly as it goes on the wire: path and query as encoded, nothing decoded. */
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: string | undefined
}

export const record = (request: HttpClientRequest.HttpClientRequest): Recorded => {
  const url = Either.getOrThrow(UrlParams.makeUrl(request.url, request.urlParams, request.hash))
  return {
    method: request.method,
    url: url.toString(),
    headers: { ...request.headers },
    body: request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : undefined
  }
}

/** An HttpClient that records every request and answers with `respond`. */
export const mockClient = (respond: (request: Recorded, index: number) => Response | "reset") => {
  const requests: Array<Recorded> = []
  const client = HttpClient.make((request) =>
    Effect.suspend(() => {
      const recorded = record(request)
      requests.push(recorded)
      const answer = respond(recorded, requests.length - 1)
      if (answer === "reset") {
        return Effect.fail(
          new RequestError({
            request,
            reason: "Transport",
            cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" })
          })
        )
      }
      return Effect.succeed(HttpClientResponse.fromWeb(request, answer))
    })
  )
  return { requests, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } })

export const empty = (status: number, headers: Record<string, string> = {}) => new Response(null, { status, headers })
