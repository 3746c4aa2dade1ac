import { assert, describe, it } from "@effect/vitest"
import { RatingsError } from "@unrate/core"
import { Effect, Option, Redacted } from "effect"
import * as Wire from "../src/internal/wire.js"

const developerToken = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJURUFNMTIzNDU2In0.c2lnbmF0dXJlLW9mLXRoZS1kZXZlbG9wZXI"
const userToken = "AkXq9vN2pL7mR4tY8wB3cF6hJ1sD5gK0zQ+uE/iO=userToken"
const secrets = [Redacted.make(developerToken), Redacted.make(userToken)]

const controls = /[\u0000-\u001f\u007f-\u009f]/

describe("wire", () => {
  it("decodes Apple's errors leniently", () => {
    const errors = Wire.decodeAppleErrors({
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
    assert.deepStrictEqual(Wire.decodeAppleErrors("<html>"), [])
    assert.deepStrictEqual(Wire.decodeAppleErrors({ errors: "no" }), [])
  })

  it.effect("reads a library page's meta.total; junk in meta is ignored, never a failure", () =>
    Effect.gen(function*() {
      const page = (meta: unknown) =>
        Effect.map(
          Wire.decodeLibraryPage({ data: [{ id: "i.a", type: "library-songs" }], next: "/n", meta }),
          Wire.libraryPageResult
        )
      const sized = yield* page({ total: 20000 })
      assert.deepStrictEqual(sized, { items: [{ id: "i.a", type: "library-songs" }], next: "/n", total: 20000 })
      assert.strictEqual((yield* page({ total: 0 })).total, 0)
      const junk = [
        undefined,
        null,
        "x",
        7,
        [],
        {},
        { total: -1 },
        { total: 1.5 },
        { total: "12" },
        { total: null },
        {
          total: 2 ** 60
        },
        { total: Number.NaN },
        { total: Infinity }
      ]
      for (const meta of junk) {
        const result = yield* page(meta)
        assert.isFalse("total" in result, JSON.stringify(meta))
        assert.deepStrictEqual(result.items, [{ id: "i.a", type: "library-songs" }])
      }
    }))

  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-11-27T10:00:00Z")
    assert.deepStrictEqual(Wire.parseRetryAfter("2", now), Option.some(2000))
    assert.deepStrictEqual(Wire.parseRetryAfter("Fri, 27 Nov 2026 10:00:05 GMT", now), Option.some(5000))
    assert.deepStrictEqual(Wire.parseRetryAfter("soon", now), Option.none())
    assert.deepStrictEqual(Wire.parseRetryAfter(undefined, now), Option.none())
  })

  it("strips control characters, keeps single spaces and cuts long text", () => {
    assert.strictEqual(
      Wire.sanitizeServerText("\u001b[2J\u001b]0;title\u0007Bad\r\n\tthing\u009b31m  here\u007f\u202e"),
      "[2J]0;titleBad thing31m here"
    )
    const long = Wire.sanitizeServerText("é".repeat(5000))
    assert.strictEqual(long.length, RatingsError.maxServerTextLength)
    assert.isTrue(long.endsWith("…"))
    assert.strictEqual(Wire.sanitizeServerText("x".repeat(300)), "x".repeat(300))
  })

  it("redacts the tokens, also when split by control characters or cut to a piece", () => {
    const text = [
      `token ${developerToken}`,
      `again ${userToken.slice(0, 10)}\u001b${userToken.slice(10)}`,
      `prefix ${developerToken.slice(0, 40)}`,
      `suffix x${userToken.slice(-20)}`
    ].join(" | ")
    const clean = Wire.sanitizeServerText(text, secrets)
    assert.strictEqual(clean, "token <redacted> | again <redacted> | prefix <redacted> | suffix x<redacted>")
    assert.strictEqual(Wire.sanitizeServerText("a short word", [Redacted.make("word")]), "a short word")
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
      const error = Wire.errorFromAnswer(status, {
        body: { errors: Array.from({ length: 50 }, () => hostile) },
        secrets
      })
      assert.isTrue("errors" in error)
      if (!("errors" in error)) return
      assert.strictEqual(error.errors.length, Wire.maxAppleErrors)
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
  it("reads a 403 answer's errors into a Forbidden", () => {
    const error = Wire.errorFromAnswer(403, {
      operation: "delete",
      kind: "songs",
      id: "1",
      body: { errors: [{ code: 40300, title: "Invalid authentication", status: "403" }] }
    })
    assert.strictEqual(error._tag, "Forbidden")
    assert.include(error.message, "code 40300")
    assert.strictEqual((error as RatingsError.Forbidden).id, "1")
  })
})
