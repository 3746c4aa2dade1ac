import { assert, describe, it } from "@effect/vitest"
import type { Batch } from "@unrate/core"
import { progressLine } from "../src/internal/output.js"

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
  done: false,
  ...counts
})

describe("progress", () => {
  it("one line for every batch: restore's counts are its own, with no branch on the label", () => {
    assert.strictEqual(
      progressLine("restore", progress({ restored: 3, skipped: 1, failed: 1, requests: 5, retries: 1 })),
      "restore: 5/10 done (3 restored, 1 failed, 1 skipped), 2.0 req/s, 1 retries, ETA 4 s\n"
    )
    assert.strictEqual(
      progressLine("delete", progress({ deleted: 4, absent: 1, invalid: 1 })),
      "delete: 6/10 done (4 deleted, 1 absent, 1 failed), 2.0 req/s, 0 retries, ETA 4 s\n"
    )
  })
})
