import { assert, describe, it } from "@effect/vitest"
import { LanguageTag } from "@unrate/core"
import { Schema } from "effect"

describe("LanguageTag", () => {
  it("accepts the shape of BCP 47 tags", () => {
    for (const tag of ["en", "en-GB", "zh-Hant-TW", "es-419", "x-klingon", "abcdefgh-12345678"]) {
      assert.isTrue(LanguageTag.isLanguageTag(tag), tag)
      assert.isUndefined(LanguageTag.problem(tag))
      assert.strictEqual(Schema.decodeUnknownSync(LanguageTag.LanguageTag)(tag), tag)
    }
  })

  it("refuses what could not be one, with a reason", () => {
    for (const tag of ["", "en_GB", "en-", "-en", "en--GB", "abcdefghi", "en-123456789", "en GB", "en-GB&x=1", "1en"]) {
      assert.isFalse(LanguageTag.isLanguageTag(tag), tag)
      assert.strictEqual(LanguageTag.problem(tag), "not a BCP 47 language tag such as 'en-US'")
      assert.isTrue(Schema.is(LanguageTag.LanguageTag)(tag) === false, tag)
    }
    assert.isFalse(LanguageTag.isLanguageTag(42))
    assert.isFalse(LanguageTag.isLanguageTag(undefined))
  })
})
