import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Journal } from "@unrate/core"
import { Emulator } from "@unrate/emulator"
import { Effect, Layer, Redacted, Schedule, Stream } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Cleanup, SqlJournal, TeamLimiter, UnrateCluster } from "../src/index.js"
import { awaitStatus, deletesPerPath, pathOf, settled, tempDir, userRatings } from "../test/fixtures.js"
import * as Runners from "./runners.js"

/** A new database on the PostgreSQL of UNRATE_PG_URL, for one test. */
const freshDatabase = Effect.gen(function*() {
  const name = `unrate_${Date.now()}_${Math.floor(Math.random() * 1e6)}`
  yield* Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe(`CREATE DATABASE ${name}`)).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(Runners.pgUrl()) })),
    Effect.orDie
  )
  const url = new URL(Runners.pgUrl())
  url.pathname = `/${name}`
  return url.toString()
})

const users = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}${i}`)

const seedUsers = (emulator: Emulator.Emulator, names: ReadonlyArray<string>, perUser: number) =>
  Effect.forEach(names, (user) => emulator.store.seed(userRatings(user, perUser)), { discard: true })

const startCleanups = (names: ReadonlyArray<string>, perUser: number) =>
  Effect.forEach(names, (user) =>
    Cleanup.start({
      key: `clean-${user}`,
      userId: user,
      task: { _tag: "Ids", kind: "library-songs", ids: userRatings(user, perUser).map(([, id]) => id) }
    }), { discard: true })

const deletedSoFar = (names: ReadonlyArray<string>) =>
  Effect.map(
    Effect.forEach(names, (user) => Cleanup.status(`clean-${user}`)),
    (statuses) => statuses.reduce((sum, status) => sum + status.progress.deleted, 0)
  )

const awaitDeleted = (names: ReadonlyArray<string>, count: number) =>
  Effect.repeat(deletedSoFar(names), {
    schedule: Schedule.passthrough(Schedule.spaced("500 millis") as Schedule.Schedule<number, number>),
    until: (deleted) => deleted >= count
  })

/**
 * Per id of the users that completed: exactly one 204, and its deletion journaled. Per id of the users whose
 * clean-up ended early (`ended`): at most one 204; every id journaled deleted is gone, every id gone is journaled
 * deleted or unsettled (its runner died between the 204 and the outcome), and their progress counts both. For all:
 * no DELETE later than the id's first journaled deletion.
 */
const assertExactlyOnce = (
  emulator: Emulator.Emulator,
  complete: ReadonlyArray<string>,
  perUser: number,
  ended: ReadonlyArray<{ readonly user: string; readonly progress: Cleanup.Progress }> = []
) =>
  Effect.gen(function*() {
    const log = yield* emulator.requestLog
    const { committed } = deletesPerPath(log)
    const settledAt = new Map<string, number>()
    const journaled = (user: string) =>
      Effect.gen(function*() {
        const journal = yield* SqlJournal.make(`clean-${user}`)
        const deleted = new Set<string>()
        yield* Stream.runForEach(journal.entries, (entry) =>
          Effect.sync(() => {
            if (entry.outcome !== "deleted") return
            deleted.add(entry.id)
            const path = pathOf(entry.kind, entry.id)
            if (!settledAt.has(path)) settledAt.set(path, Date.parse(entry.at))
          }))
        const unsettled = new Set((yield* Journal.read(journal)).unsettled.map((target) => target.id))
        return { deleted, unsettled }
      })
    for (const user of complete) {
      const { deleted } = yield* journaled(user)
      for (const [kind, id] of userRatings(user, perUser)) {
        assert.strictEqual(committed.get(pathOf(kind, id)), 1, `${id}: 204s`)
        assert.isTrue(deleted.has(id), `${id}: journaled`)
      }
    }
    for (const { progress, user } of ended) {
      const { deleted, unsettled } = yield* journaled(user)
      for (const [kind, id] of userRatings(user, perUser)) {
        const gone = (yield* emulator.store.lookup(kind, id)) === undefined
        assert.isAtMost(committed.get(pathOf(kind, id)) ?? 0, 1, `${id}: 204s`)
        if (deleted.has(id)) assert.isTrue(gone, `${id}: journaled deleted, still rated`)
        if (gone) assert.isTrue(deleted.has(id) || unsettled.has(id), `${id}: gone, neither deleted nor unsettled`)
      }
      assert.deepStrictEqual([progress.deleted, progress.unsettled], [deleted.size, unsettled.size], user)
    }
    for (const entry of log) {
      const at = settledAt.get(entry.path)
      if (entry.method === "DELETE" && at !== undefined) {
        assert.isTrue(entry.at <= at, `DELETE after outcome ${entry.path}`)
      }
    }
  })

describe("UnrateCluster.layer: 3 runners on PostgreSQL", () => {
  it.scopedLive(
    "30 users × 1,000 ids through 503s and resets, one token revoked and one runner killed mid-run; then undone elsewhere",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make({ seed: 3, faults: { error503: 0.03, resetRate: 0.01 } })
        const names = users(30, "u")
        yield* seedUsers(emulator, names, 1000)
        const revokedFile = Path.join(tempDir(), "revoked")
        const url = yield* freshDatabase
        const runners = yield* Runners.startAll(3, { emulator, revokedFile, env: { UNRATE_PG_URL: url } })
        yield* Runners.awaitShardsSettled(url, 3)
        const client = yield* Layer.build(UnrateCluster.layerClient({ pg: { url: Redacted.make(url) } }))
        yield* Effect.gen(function*() {
          yield* startCleanups(names, 1000)
          yield* awaitDeleted(names, 5000)
          Fs.writeFileSync(revokedFile, "u7\n")
          yield* Runners.stop(runners[0], "SIGKILL")
          const statuses = yield* Effect.forEach(names, (user) => awaitStatus(Cleanup.status(`clean-${user}`), settled))
          for (const [i, status] of statuses.entries()) {
            if (names[i] === "u7") {
              assert.isTrue(status._tag === "Forbidden" && status.error.reason === "forbidden", status._tag)
            } else {
              assert.strictEqual(status._tag, "Completed", names[i])
            }
          }
          const others = names.filter((user) => user !== "u7")
          yield* assertExactlyOnce(emulator, others, 1000, [{ user: "u7", progress: statuses[7].progress }])
          // Only u7's ratings are left: those its clean-up did not delete, give or take the unsettled ones.
          const left = yield* emulator.store.count()
          const { deleted, unsettled } = statuses[7].progress
          assert.isTrue(
            left <= 1000 - deleted && left >= 1000 - deleted - unsettled,
            `${left} left, ${deleted}+${unsettled}`
          )
          // Undo every clean-up on the two runners left: the killed runner's clean-ups are undone by another.
          yield* Effect.forEach(others, (user) => Cleanup.undo(`clean-${user}`), { discard: true })
          const undone = yield* Effect.forEach(others, (user) =>
            awaitStatus(Cleanup.undoStatus(`clean-${user}`), settled))
          assert.deepStrictEqual(
            new Set(undone.map((status) =>
              status._tag
            )),
            new Set(["Completed"])
          )
          for (const user of others) {
            for (const [kind, id, value] of userRatings(user, 1000)) {
              assert.strictEqual(yield* emulator.store.lookup(kind, id), value, id)
            }
          }
        }).pipe(Effect.provide(client))
      }),
    // 190–375 s measured on 2 shared cores (load 6–14)
    { timeout: 720_000 }
  )

  it.scopedLive(
    "all runners stopped mid-run and started again: every clean-up resumes from the database",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make({ seed: 5, faults: { latency: "5 millis", error503: 0.02 } })
        const names = users(10, "r")
        yield* seedUsers(emulator, names, 500)
        const url = yield* freshDatabase
        const options = { emulator, env: { UNRATE_PG_URL: url } }
        const first = yield* Runners.startAll(3, options)
        yield* Runners.awaitShardsSettled(url, 3)
        const client = yield* Layer.build(UnrateCluster.layerClient({ pg: { url: Redacted.make(url) } }))
        yield* Effect.gen(function*() {
          yield* startCleanups(names, 500)
          yield* awaitDeleted(names, 1000)
          yield* Effect.forEach(first, Runners.shutDown, { concurrency: "unbounded", discard: true })
          const deletedBeforeRestart = 5000 - (yield* emulator.store.count())
          assert.isTrue(deletedBeforeRestart < 5000, String(deletedBeforeRestart))
          yield* Runners.startAll(3, options)
          yield* Runners.awaitShardsSettled(url, 3)
          yield* Runners.redeliverUnprocessed(url)
          const statuses = yield* Effect.forEach(names, (user) => awaitStatus(Cleanup.status(`clean-${user}`), settled))
          assert.deepStrictEqual(new Set(statuses.map((status) => status._tag)), new Set(["Completed"]))
          yield* assertExactlyOnce(emulator, names, 500)
          assert.strictEqual(yield* emulator.store.count(), 0)
        }).pipe(Effect.provide(client))
      }),
    // 40–100 s measured on 2 shared cores (load 4–14)
    { timeout: 240_000 }
  )

  it.scopedLive("under a team limit of R req/s, 3 runners adapt together: 429s stay under 5 % of requests", () =>
    Effect.gen(function*() {
      const limit = 100
      const emulator = yield* Emulator.make({ seed: 9, faults: { rateLimit: limit } })
      const names = users(6, "t")
      yield* seedUsers(emulator, names, 400)
      const url = yield* freshDatabase
      yield* Runners.startAll(3, { emulator, teamRate: 120, env: { UNRATE_PG_URL: url } })
      yield* Runners.awaitShardsSettled(url, 3)
      const client = yield* Layer.build(UnrateCluster.layerClient({ pg: { url: Redacted.make(url) } }))
      // The team limiter's rate, read every 100 ms while the clean-ups run: the lowest it went.
      let lowest = Infinity
      const teamRate = Effect.flatMap(TeamLimiter.TeamLimiterEntity.client, (make) => make("default").rate())
      const statuses = yield* Effect.gen(function*() {
        yield* teamRate.pipe(
          Effect.tap((rate) => Effect.sync(() => void (lowest = Math.min(lowest, rate)))),
          Effect.ignore,
          Effect.repeat(Schedule.spaced("100 millis")),
          Effect.forkScoped
        )
        yield* startCleanups(names, 400)
        return yield* Effect.forEach(names, (user) => awaitStatus(Cleanup.status(`clean-${user}`), settled))
      }).pipe(Effect.provide(client))
      assert.deepStrictEqual(new Set(statuses.map((status) => status._tag)), new Set(["Completed"]))
      assert.strictEqual(yield* emulator.store.count(), 0)
      const log = yield* emulator.requestLog
      const limited = log.filter((entry) => entry.status === 429).length
      assert.isBelow(limited / log.length, 0.05, `${limited} 429s of ${log.length}`)
      const seconds = (log[log.length - 1].at - log[0].at) / 1000
      assert.isAbove((log.length - limited) / seconds, limit * 0.5, `${log.length - limited} answered in ${seconds} s`)
      // The runners' 429s all reached the one team limiter: it came down from its ceiling of 120 during the run (at
      // the end it may be back there: a fixed limiter recovers from a cut, and a probing one may pass the limit).
      assert.isBelow(lowest, 120, `the team limiter never went below ${lowest}`)
    }))
})
