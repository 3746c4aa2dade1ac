import { assert, describe, it } from "@effect/vitest"
import type { Batch } from "@unrate/core"
import { batchJson, progressLine } from "../src/internal/output.js"

const progress = (counts: Partial<Batch.Progress>): Batch.Progress => ({
  requested: 0,
  deleted: 0,
  restored: 0,
  absent: 0,
  failed: 0,
  invalid: 0,
  skipped: 0,
  planned: 0,
  requests: 0,
  retries: 0,
  elapsedMillis: 1000,
  requestsPerSecond: 2,
  settledPerSecond: 2,
  total: 10,
  etaSeconds: 4,
  scanned: 0,
  matched: 0,
  rate: undefined,
  done: false,
  ...counts
})

describe("progress", () => {
  it("one line for every batch: restore's counts are its own, with no branch on the label", () => {
    assert.strictEqual(
      progressLine("restore", progress({ restored: 3, skipped: 1, failed: 1, requests: 5, retries: 1 }), 120),
      "restore: 5/10 done (3 restored, 1 failed, 1 skipped), 2.0 req/s, 1 retries, ETA 4 s\n"
    )
    assert.strictEqual(
      progressLine("delete", progress({ deleted: 4, absent: 1, invalid: 1 }), 120),
      "delete: 6/10 done (4 deleted, 1 absent, 1 failed), 2.0 req/s, 0 retries, ETA 4 s\n"
    )
  })

  it("80 columns show the counts, the limiter's rate and the ETA, even for a big sweep", () => {
    const line = progressLine(
      "sweep",
      progress({
        scanned: 123_456,
        matched: 45_678,
        deleted: 12_345,
        absent: 1_234,
        failed: 123,
        skipped: 12,
        retries: 4_321,
        requestsPerSecond: 987.6,
        rate: 1012.4,
        total: undefined,
        etaSeconds: undefined,
        settledPerSecond: 950
      })
    )
    assert.isAtMost(line.trimEnd().length, 80, line)
    assert.include(line, "13714/45678 done")
    assert.include(line, "987.6 req/s (limit 1012)")
    // 31,964 matches left at 950 a second
    assert.match(line, /ETA 34 s\n$/)
    const wide = progressLine("sweep", progress({ deleted: 3, rate: 20, total: 10 }), 200)
    assert.include(wide, "(3 deleted, 0 failed)", "with room, the breakdown is kept")
  })

  it("a sweep's scan counts library items, and its deletions have an ETA once there is a rate", () => {
    const scanning = progressLine(
      "sweep",
      progress({ scanned: 300, matched: 40, total: undefined, etaSeconds: undefined })
    )
    assert.match(scanning, /^sweep: 300 scanned, 40 matched; 300 done/)
    const deleting = progressLine(
      "sweep",
      progress({
        scanned: 1000,
        matched: 100,
        deleted: 20,
        total: undefined,
        etaSeconds: undefined,
        settledPerSecond: 0,
        rate: 20
      })
    )
    // 80 matches left at the limiter's 20 a second
    assert.match(deleting, /20\/100 done.*ETA 4 s\n$/)
  })

  it("a sweep's scan shows items scanned of the library's size, and an ETA from the scan's pace after 1 s", () => {
    const scan = (counts: Partial<Batch.Progress>) =>
      progressLine(
        "sweep",
        progress({
          total: undefined,
          etaSeconds: undefined,
          settledPerSecond: 0,
          requestsPerSecond: 987.6,
          rate: 1012.4,
          libraryTotal: 200_000,
          matched: 12_345,
          retries: 4_321,
          ...counts
        })
      )
    const early = scan({ scanned: 100, elapsedMillis: 400 })
    assert.include(early, "scanned 100 of 200000")
    assert.match(early, /ETA \?\n$/, "no pace before the first second")
    // 20,000 of 200,000 in 4 s: 5,000 a second, 180,000 to go
    const line = scan({ scanned: 20_000, elapsedMillis: 4000 })
    assert.isAtMost(line.trimEnd().length, 80, line)
    assert.include(line, "sweep: scanned 20000 of 200000, ")
    assert.include(line, "987.6 req/s (limit 1012)")
    assert.match(line, /ETA 36 s\n$/)
    const wide = progressLine(
      "sweep",
      progress({ total: undefined, etaSeconds: undefined, libraryTotal: 500, scanned: 300, matched: 40 }),
      120
    )
    assert.include(wide, "sweep: scanned 300 of 500, 40 matched", "with room, the matches so far are shown")
    const grown = scan({ scanned: 200_100, elapsedMillis: 40_000 })
    assert.include(
      grown,
      "scanned 200100 of 200100",
      "a library that grew since its first page: its size is what was scanned"
    )
  })

  it("--json gives the limiter's final and peak rate; no limit is null, not Infinity", () => {
    const summary = {
      ...progress({}),
      dryRun: false,
      stoppedBy: null,
      stopMessage: null,
      capReached: false,
      failures: [],
      unrecorded: []
    }
    const json = batchJson("delete", "songs", { ...summary, rate: { final: 180.04, peak: 212.36 } }, null)
    assert.deepStrictEqual(json.rate, { final: 180, peak: 212.4 })
    const unlimited = batchJson("delete", "songs", { ...summary, rate: { final: Infinity, peak: Infinity } }, null)
    assert.deepStrictEqual(JSON.parse(JSON.stringify(unlimited)).rate, { final: null, peak: null })
  })
})
