import { assert, describe, it } from "@effect/vitest"
import { RatingsError } from "@unrate/core"
import { Option, Redacted } from "effect"

const developerToken = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJURUFNMTIzNDU2In0.c2lnbmF0dXJlLW9mLXRoZS1kZXZlbG9wZXI"
const userToken = "AkXq9vN2pL7mR4tY8wB3cF6hJ1sD5gK0zQ+uE/iO=userToken"
const secrets = [Redacted.make(developerToken), Redacted.make(userToken)]

const controls = /[\u0000-\u001f\u007f-\u009f]/

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

  it("strips control characters, keeps single spaces and cuts long text", () => {
    assert.strictEqual(
      RatingsError.sanitizeServerText("\u001b[2J\u001b]0;title\u0007Bad\r\n\tthing\u009b31m  here\u007f\u202e"),
      "[2J]0;titleBad thing31m here"
    )
    const long = RatingsError.sanitizeServerText("é".repeat(5000))
    assert.strictEqual(long.length, RatingsError.maxServerTextLength)
    assert.isTrue(long.endsWith("…"))
    assert.strictEqual(RatingsError.sanitizeServerText("x".repeat(300)), "x".repeat(300))
  })

  it("redacts the tokens, also when split by control characters or cut to a piece", () => {
    const text = [
      `token ${developerToken}`,
      `again ${userToken.slice(0, 10)}\u001b${userToken.slice(10)}`,
      `prefix ${developerToken.slice(0, 40)}`,
      `suffix x${userToken.slice(-20)}`
    ].join(" | ")
    const clean = RatingsError.sanitizeServerText(text, secrets)
    assert.strictEqual(clean, "token <redacted> | again <redacted> | prefix <redacted> | suffix x<redacted>")
    assert.strictEqual(RatingsError.sanitizeServerText("a short word", [Redacted.make("word")]), "a short word")
  })

  it("decodes hostile errors into clean, bounded fields and messages without tokens", () => {
    const hostile = {
      id: `\u001b]0;pwned\u0007${userToken}`,
      title: `\u001b[2J\u001b[31mInvalid ${developerToken}`,
      detail: `${"A".repeat(5000)} ${userToken}`,
      code: "4\u001b[0m0300",
      status: "403",
      source: { parameter: `${developerToken}\n${"p".repeat(1000)}` }
    }
    for (const status of [400, 403, 500]) {
      const error = RatingsError.fromStatus(status, {
        body: { errors: Array.from({ length: 50 }, () => hostile) },
        secrets
      })
      assert.isTrue("errors" in error)
      if (!("errors" in error)) return
      assert.strictEqual(error.errors.length, RatingsError.maxAppleErrors)
      const fields = error.errors.flatMap((entry) => [
        entry.id,
        entry.title,
        entry.detail,
        entry.code,
        entry.status,
        entry.source?.parameter
      ])
      for (const field of fields) {
        assert.isString(field)
        assert.isAtMost(field!.length, RatingsError.maxServerTextLength)
        assert.notMatch(field!, controls)
      }
      assert.strictEqual(error.errors[0]!.code, "4[0m0300")
      assert.isBelow(error.message.length, 1000)
      for (const text of [error.message, JSON.stringify(error), ...fields.map(String)]) {
        assert.notMatch(text, controls)
        for (const token of [developerToken, userToken]) {
          assert.notInclude(text, token)
          assert.notInclude(text, token.slice(0, 16))
        }
      }
    }
  })
})
