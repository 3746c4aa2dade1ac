import { assert, describe, it } from "@effect/vitest"
import { RatingsError } from "@unrate/core"
import { hints, withHint } from "../src/internal/runtime.js"

describe("hints", () => {
  it("adds the command's advice to the library's message of the errors it can fix", () => {
    const cases = [
      [RatingsError.fromStatus(401), "APPLE_MUSIC_DEVELOPER_TOKEN"],
      [RatingsError.fromStatus(403), "`unrate login`"],
      [RatingsError.fromStatus(429), "--rate"]
    ] as const
    for (const [error, advice] of cases) {
      assert.notInclude(error.message, advice)
      const shown = withHint(error._tag, error.message)
      assert.isTrue(shown.startsWith(error.message))
      assert.include(shown, `Hint: ${hints[error._tag]}`)
      assert.include(shown, advice)
    }
    const notFound = RatingsError.fromStatus(404)
    assert.strictEqual(withHint(notFound._tag, notFound.message), notFound.message)
    assert.strictEqual(withHint(null, "stopped"), "stopped")
  })
})
