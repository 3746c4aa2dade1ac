import { assert, describe, it } from "@effect/vitest"
import { RatingsError } from "@unrate/core"

describe("RatingsError", () => {
  it("maps each status to its member", () => {
    const cases: Array<[number, string]> = [
      [400, "BadRequest"],
      [401, "Unauthorized"],
      [403, "Forbidden"],
      [404, "NotFound"],
      [429, "RateLimited"],
      [500, "ServerError"],
      [503, "ServerError"],
      [302, "UnexpectedResponse"]
    ]
    for (const [status, tag] of cases) {
      const error = RatingsError.fromStatus(status, { operation: "delete", kind: "library-songs", id: "i.a" })
      assert.strictEqual(error._tag, tag)
      assert.isTrue(RatingsError.isRatingsError(error))
    }
  })

  it("explains a 403 with code 40300 and says to re-authorize", () => {
    const error = RatingsError.fromStatus(403, {
      errors: [new RatingsError.AppleError({ code: "40300", title: "Invalid authentication", status: "403" })]
    })
    assert.include(error.message, "code 40300")
    assert.include(error.message, "Re-authorize")
    assert.strictEqual((error as RatingsError.Forbidden).status, 403)
  })

  it("carries the Retry-After delay of a 429", () => {
    const limited = RatingsError.fromStatus(429, { retryAfterMillis: 2000 }) as RatingsError.RateLimited
    assert.strictEqual(limited.retryAfterMillis, 2000)
  })

  it("classifies what a retry can cure and what stops a batch", () => {
    const retryable = [429, 500, 503].map((status) => RatingsError.fromStatus(status))
    const final = [400, 401, 403, 404].map((status) => RatingsError.fromStatus(status))
    for (const error of retryable) assert.isTrue(RatingsError.isRetryable(error))
    for (const error of final) assert.isFalse(RatingsError.isRetryable(error))
    assert.isTrue(RatingsError.isRetryable(new RatingsError.Transport({ reason: "ConnectionReset", description: "x" })))
    assert.isTrue(RatingsError.isAuthError(RatingsError.fromStatus(401)))
    assert.isTrue(RatingsError.isAuthError(RatingsError.fromStatus(403)))
    assert.isFalse(RatingsError.isAuthError(RatingsError.fromStatus(404)))
  })

  it("speaks the library's terms: no command-line advice, no environment variables", () => {
    const statuses = [400, 401, 403, 404, 429, 500, 302]
    const messages = [
      ...statuses.map((status) => RatingsError.fromStatus(status, { kind: "songs", id: "1" }).message),
      new RatingsError.Transport({ reason: "Timeout", description: "no answer within 30s" }).message
    ]
    for (const message of messages) {
      assert.notMatch(message, /unrate login|--|APPLE_MUSIC_|`/)
    }
    assert.include(RatingsError.fromStatus(401).message, "developer token")
    assert.include(RatingsError.fromStatus(429).message, "fewer requests")
  })

  it("bounds what Apple said in a message, never cutting a surrogate pair in half", () => {
    const detail = "é".repeat(299) + "😀".repeat(10)
    const error = RatingsError.fromStatus(500, {
      errors: Array.from({ length: 5 }, () => new RatingsError.AppleError({ detail }))
    })
    const said = error.message.slice(error.message.indexOf("Apple said: ") + "Apple said: ".length)
    assert.strictEqual(said.length, RatingsError.maxServerTextLength + 1)
    assert.isTrue(said.endsWith("…."))
    assert.strictEqual(RatingsError.truncate("a😀b", 3), "a…")
    assert.strictEqual(RatingsError.truncate("abc", 3), "abc")
  })
})
