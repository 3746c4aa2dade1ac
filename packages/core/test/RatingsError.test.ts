import { assert, describe, it } from "@effect/vitest"
import { RatingsError } from "@unrate/core"
import { Option } from "effect"

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

  it("decodes Apple's errors leniently", () => {
    const errors = RatingsError.decodeAppleErrors({
      errors: [
        { id: "X", title: "Invalid authentication", status: 403, code: "40300", extra: { secret: 1 } },
        "not an object",
        { title: "Invalid Parameter Value", source: { parameter: "ids", other: true }, code: 40005 }
      ]
    })
    assert.strictEqual(errors.length, 2)
    assert.deepStrictEqual({ ...errors[0] }, { id: "X", title: "Invalid authentication", status: "403", code: "40300" })
    assert.deepStrictEqual(errors[1]!.source, { parameter: "ids" })
    assert.strictEqual(errors[1]!.code, "40005")
    assert.deepStrictEqual(RatingsError.decodeAppleErrors("<html>"), [])
    assert.deepStrictEqual(RatingsError.decodeAppleErrors({ errors: "no" }), [])
  })

  it("explains a 403 with code 40300 and says to re-authorize", () => {
    const error = RatingsError.fromStatus(403, {
      body: { errors: [{ code: "40300", title: "Invalid authentication", status: "403" }] }
    })
    assert.include(error.message, "code 40300")
    assert.include(error.message, "Re-authorize")
    assert.strictEqual((error as RatingsError.Forbidden).status, 403)
  })

  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-11-27T10:00:00Z")
    assert.deepStrictEqual(RatingsError.parseRetryAfter("2", now), Option.some(2000))
    assert.deepStrictEqual(RatingsError.parseRetryAfter("Fri, 27 Nov 2026 10:00:05 GMT", now), Option.some(5000))
    assert.deepStrictEqual(RatingsError.parseRetryAfter("soon", now), Option.none())
    assert.deepStrictEqual(RatingsError.parseRetryAfter(undefined, now), Option.none())
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
})
