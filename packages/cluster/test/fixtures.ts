import { RetryPolicy } from "@unrate/core"
import type { RatingKind } from "@unrate/core/RatingKind"
import type { RatingValue } from "@unrate/core/RatingValue"
import type { Emulator } from "@unrate/emulator"
import { Effect, Redacted, Schedule } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import type { Cleanup } from "../src/index.js"

export const fast = RetryPolicy.make({ base: "20 millis", cap: "500 millis", retries: 10 })

export const tempDir = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-cluster-"))

/** `count` ids of one user, alternately disliked and liked. */
export const userRatings = (user: string, count: number): ReadonlyArray<readonly [RatingKind, string, RatingValue]> =>
  Array.from({ length: count }, (_, i) => ["library-songs", `i.${user}x${i}`, i % 2 === 0 ? -1 : 1] as const)

export const team = (emulator: Emulator.Emulator) => ({
  baseUrl: emulator.url,
  developerToken: Redacted.make(emulator.developerToken),
  rate: Infinity,
  retry: fast
})

/** Polls the status until `done` holds (a live wait for work done over real HTTP, bounded by the test timeout). */
export const awaitStatus = <E, R>(
  status: Effect.Effect<Cleanup.Status, E, R>,
  done: (status: Cleanup.Status) => boolean
) =>
  Effect.repeat(status, {
    schedule: Schedule.passthrough(Schedule.spaced("100 millis") as Schedule.Schedule<number, Cleanup.Status>),
    until: done
  })

export const settled = (status: Cleanup.Status) => status._tag !== "Running"

/** DELETEs answered 204 per path, and DELETEs sent per path, from the emulator's log. */
export const deletesPerPath = (log: ReadonlyArray<Emulator.LogEntry>) => {
  const committed = new Map<string, number>()
  const sent = new Map<string, number>()
  for (const entry of log) {
    if (entry.method !== "DELETE") continue
    sent.set(entry.path, (sent.get(entry.path) ?? 0) + 1)
    if (entry.status === 204) committed.set(entry.path, (committed.get(entry.path) ?? 0) + 1)
  }
  return { committed, sent }
}

export const pathOf = (kind: RatingKind, id: string) => `/v1/me/ratings/${kind}/${id}`
