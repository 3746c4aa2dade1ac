import { assert, describe, it } from "@effect/vitest"
import { Spelling } from "@unrate/core"

describe("Spelling", () => {
  it("distance counts insertions, deletions and substitutions", () => {
    assert.deepStrictEqual(
      [["dryrun", "dry-run"], ["jornal", "journal"], ["delet", "delete"], ["kitten", "sitting"], ["", "abc"], [
        "same",
        "same"
      ]]
        .map(([a, b]) => Spelling.distance(a!, b!)),
      [1, 1, 1, 3, 3, 0]
    )
  })

  it("nearest ignores case and gives up on words too far from every candidate", () => {
    const options = ["dry-run", "journal", "max-deletions", "no-journal"]
    assert.strictEqual(Spelling.nearest("DRY-RUN", options), "dry-run")
    assert.strictEqual(Spelling.nearest("max-deletion", options), "max-deletions")
    assert.strictEqual(Spelling.nearest("jornal", options), "journal")
    assert.isUndefined(Spelling.nearest("xyz", options))
    assert.isUndefined(Spelling.nearest("anything", []))
  })
})
