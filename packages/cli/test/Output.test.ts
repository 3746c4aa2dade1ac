import { assert, describe, it } from "@effect/vitest"
import { unrecordedText } from "../src/internal/output.js"

describe("output", () => {
  it("outcomes the journal could not take are printed with their values, one per line", () => {
    assert.strictEqual(unrecordedText([]), "")
    const text = unrecordedText([
      { kind: "library-songs", id: "i.AAA", outcome: "deleted", value: -1 },
      { kind: "songs", id: "907242702", outcome: "restored", value: 1 },
      { kind: "library-songs", id: "i.BBB", outcome: "absent", value: undefined }
    ])
    const lines = text.trimEnd().split("\n")
    assert.match(lines[0]!, /^unrate: the journal could not record 3 outcome\(s\)/)
    assert.deepStrictEqual(lines.slice(1), [
      "  deleted library-songs i.AAA value -1",
      "  restored songs 907242702 value 1",
      "  absent library-songs i.BBB"
    ])
  })
})
