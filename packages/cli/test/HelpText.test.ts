import { assert, describe, it } from "@effect/vitest"
import { RatingKind } from "@unrate/core"
import * as Colour from "../src/internal/colour.js"
import { nameOf, subcommands } from "../src/internal/definitions.js"
import * as Help from "../src/internal/help.js"
import * as HelpTable from "../src/internal/helpTable.js"

describe("help text", () => {
  it("every option of every command has a help entry (group, text), and every entry an option", () => {
    for (const command of subcommands) {
      assert.deepStrictEqual(Help.unexplained(command), [], nameOf(command))
      assert.isDefined(HelpTable.commands[nameOf(command)], nameOf(command))
    }
    assert.deepStrictEqual(Object.keys(HelpTable.commands).sort(), subcommands.map(nameOf).sort())
  })

  it("names the kinds the library accepts", () => {
    assert.strictEqual(HelpTable.libraryKinds, RatingKind.libraryKinds.join(", "))
    assert.strictEqual(HelpTable.catalogKinds, RatingKind.catalogKinds.join(", "))
  })

  it("wraps to the width it is given and keeps every word", () => {
    const plain = Colour.styles(false)
    for (const width of [50, 80, 120]) {
      for (const name of [undefined, ...subcommands.map(nameOf)]) {
        const text = Help.helpFor(name, { width, styles: plain })!
        for (const line of text.split("\n")) {
          if (line.startsWith("  $ ")) continue
          assert.isAtMost(line.length, width, `${name ?? "unrate"} at ${width}: ${line}`)
        }
      }
    }
    const wide = Help.helpFor("delete", { width: 120, styles: plain })!.split(/\s+/).join(" ")
    const narrow = Help.helpFor("delete", { width: 50, styles: plain })!.split(/\s+/).join(" ")
    assert.strictEqual(narrow, wide)
  })
})

describe("colour", () => {
  it("on a terminal only; NO_COLOR (any value) and TERM=dumb turn it off; FORCE_COLOR turns it on", () => {
    assert.isTrue(Colour.enabled(true, {}))
    assert.isFalse(Colour.enabled(false, {}))
    assert.isFalse(Colour.enabled(true, { NO_COLOR: "1" }))
    assert.isFalse(Colour.enabled(true, { NO_COLOR: "" }))
    assert.isFalse(Colour.enabled(true, { TERM: "dumb" }))
    assert.isTrue(Colour.enabled(false, { FORCE_COLOR: "1" }))
    assert.isTrue(Colour.enabled(false, { FORCE_COLOR: "" }))
    assert.isFalse(Colour.enabled(true, { FORCE_COLOR: "0" }))
    assert.isFalse(Colour.enabled(false, { NO_COLOR: "1", FORCE_COLOR: "1" }))
    assert.strictEqual(Colour.styles(false).bold("x"), "x")
    assert.strictEqual(Colour.styles(true).bold("x"), "\u001b[1mx\u001b[22m")
  })

  it("a summary: its first words bold, deleted green, failed red, zero counts and other words plain", () => {
    const summary = "unrate delete songs: 3 requested; 2 deleted, 0 absent, 1 failed, 0 invalid, 0 skipped\n" +
      "stopped by Interrupted: stopped\njournal: none\n"
    const on = Colour.styles(true)
    assert.strictEqual(
      Colour.paintSummary(summary, on),
      "\u001b[1munrate delete songs:\u001b[22m 3 requested; \u001b[32m2 deleted\u001b[39m, 0 absent, " +
        "\u001b[31m1 failed\u001b[39m, 0 invalid, 0 skipped\n\u001b[33mstopped by Interrupted: stopped\u001b[39m\n" +
        "journal: none\n"
    )
    assert.strictEqual(Colour.paintSummary(summary, Colour.styles(false)), summary)
  })
})
