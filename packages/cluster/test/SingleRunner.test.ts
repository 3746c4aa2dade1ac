import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@unrate/emulator"
import { Effect, Exit, Layer, Redacted, Scope, Stream } from "effect"
import * as Path from "node:path"
import { Cleanup, SqlJournal, UnrateCluster, UserTokens } from "../src/index.js"
import { awaitStatus, deletesPerPath, pathOf, settled, team, tempDir, userRatings } from "./fixtures.js"

const tokens = (emulator: Emulator.Emulator, overrides: Record<string, string> = {}) =>
  UserTokens.layer((userId) =>
    userId === "gone"
      ? Effect.fail(new UserTokens.TokenRevoked({ userId }))
      : Effect.succeed(Redacted.make(overrides[userId] ?? emulator.userToken))
  )

const live = (emulator: Emulator.Emulator, filename: string, overrides: Record<string, string> = {}) =>
  UnrateCluster.layerSingle({
    filename,
    team: team(emulator),
    chunkSize: 100,
    concurrency: 4,
    shardingConfig: { entityTerminationTimeout: "1 second" }
  }).pipe(
    Layer.provide(tokens(emulator, overrides))
  )

const idsTask = (ids: ReadonlyArray<string>): Cleanup.Task => ({ _tag: "Ids", kind: "library-songs", ids })

describe("UnrateCluster.layerSingle", () => {
  it.scopedLive("a clean-up deletes every id once; a second start with its key starts nothing", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { error503: 0.05, resetRate: 0.02 } })
      const ratings = userRatings("a", 350)
      yield* emulator.store.seed(ratings)
      const ids = ratings.map(([, id]) => id)
      const filename = Path.join(tempDir(), "unrate.sqlite")
      const result = yield* Effect.gen(function*() {
        const first = yield* Cleanup.start({ key: "k1", userId: "a", task: idsTask(ids) })
        const second = yield* Cleanup.start({ key: "k1", userId: "a", task: idsTask(ids.slice(0, 1)) })
        const status = yield* awaitStatus(Cleanup.status("k1"), settled)
        return { first, second, status }
      }).pipe(Effect.provide(live(emulator, filename)))
      assert.strictEqual(result.second, result.first)
      assert.strictEqual(result.status._tag, "Completed")
      if (result.status._tag !== "Completed") return
      assert.deepStrictEqual(
        [result.status.summary.deleted, result.status.summary.failed, result.status.summary.chunks],
        [350, 0, 4]
      )
      const { committed } = deletesPerPath(yield* emulator.requestLog)
      for (const id of ids) assert.strictEqual(committed.get(pathOf("library-songs", id)), 1, id)
      assert.strictEqual(yield* emulator.store.count(), 0)
    }))

  it.scopedLive("a 403 ends that user's clean-up as forbidden, a revoked token too; the others complete", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { error503: 0.03 } })
      const users = ["a", "b", "refused", "gone"]
      for (const user of users) yield* emulator.store.seed(userRatings(user, 150))
      const filename = Path.join(tempDir(), "unrate.sqlite")
      const statuses = yield* Effect.gen(function*() {
        for (const user of users) {
          const ids = userRatings(user, 150).map(([, id]) => id)
          yield* Cleanup.start({ key: `k-${user}`, userId: user, task: idsTask(ids) })
        }
        return yield* Effect.forEach(users, (user) => awaitStatus(Cleanup.status(`k-${user}`), settled))
      }).pipe(Effect.provide(live(emulator, filename, { refused: "a-token-apple-refuses" })))
      assert.deepStrictEqual(statuses.map((status) => status._tag), [
        "Completed",
        "Completed",
        "Forbidden",
        "Forbidden"
      ])
      const [, , refused, gone] = statuses
      assert.isTrue(refused._tag === "Forbidden" && refused.error.reason === "forbidden")
      assert.isTrue(gone._tag === "Forbidden" && gone.error.reason === "revoked")
      assert.strictEqual(yield* emulator.store.count(), 300)
      for (const [kind, id] of [...userRatings("refused", 150), ...userRatings("gone", 150)]) {
        assert.isDefined(yield* emulator.store.lookup(kind, id), id)
      }
    }))

  it.scopedLive("resumed with its user's token refused, a clean-up reports the DELETEs begun but not settled", () =>
    Effect.gen(function*() {
      // A runner died mid-chunk: its DELETEs of ids 0–3 were answered 204 (0 and 1 journaled as deleted, the
      // answers of 2 and 3 lost with it), those of 4 and 5 never arrived. Then the user's token is refused.
      const emulator = yield* Emulator.make()
      const ratings = userRatings("z", 150)
      yield* emulator.store.seed(ratings.slice(4))
      const filename = Path.join(tempDir(), "unrate.sqlite")
      const at = new Date(0).toISOString()
      yield* Effect.gen(function*() {
        yield* SqlJournal.migrate
        const journal = yield* SqlJournal.make("k-unsettled")
        for (const [kind, id, value] of ratings.slice(0, 6)) {
          yield* journal.append({ outcome: "intent", kind, id, value, at })
        }
        for (const [kind, id, value] of ratings.slice(0, 2)) {
          yield* journal.append({ outcome: "deleted", kind, id, value, at })
        }
      }).pipe(Effect.provide(SqliteClient.layer({ filename })))
      const status = yield* Effect.gen(function*() {
        yield* Cleanup.start({ key: "k-unsettled", userId: "z", task: idsTask(ratings.map(([, id]) => id)) })
        return yield* awaitStatus(Cleanup.status("k-unsettled"), settled)
      }).pipe(Effect.provide(live(emulator, filename, { z: "a-token-apple-refuses" })))
      assert.isTrue(status._tag === "Forbidden" && status.error.reason === "forbidden", status._tag)
      // Gone: 4 ratings; the journal knows 2 deleted and 4 that may be (2 deleted, 2 not): never fewer than gone.
      assert.strictEqual(yield* emulator.store.count(), 146)
      assert.deepStrictEqual([status.progress.deleted, status.progress.unsettled], [2, 4])
      const { sent } = deletesPerPath(yield* emulator.requestLog)
      assert.strictEqual(sent.size, 0)
    }))

  it.scopedLive("undo puts back every deleted rating with its value, once", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { error503: 0.05 } })
      const ratings = userRatings("u", 250)
      yield* emulator.store.seed(ratings)
      const missing = ["i.neverRated1", "i.neverRated2"]
      const ids = [...ratings.map(([, id]) => id), ...missing]
      const filename = Path.join(tempDir(), "unrate.sqlite")
      const result = yield* Effect.gen(function*() {
        const early = yield* Effect.either(Cleanup.undo("nothing-started"))
        yield* Cleanup.start({ key: "k-undo", userId: "u", task: idsTask(ids) })
        const done = yield* awaitStatus(Cleanup.status("k-undo"), settled)
        const emptied = yield* emulator.store.count()
        const first = yield* Cleanup.undo("k-undo")
        const again = yield* Cleanup.undo("k-undo")
        const undone = yield* awaitStatus(Cleanup.undoStatus("k-undo"), settled)
        return { early, done, emptied, first, again, undone }
      }).pipe(Effect.provide(live(emulator, filename)))
      assert.isTrue(result.early._tag === "Left" && result.early.left._tag === "CleanupNotFound")
      assert.isTrue(result.done._tag === "Completed" && result.done.summary.deleted === 250)
      assert.isTrue(result.done._tag === "Completed" && result.done.summary.absent === 2)
      assert.strictEqual(result.emptied, 0)
      assert.strictEqual(result.again, result.first)
      assert.isTrue(result.undone._tag === "Completed" && result.undone.summary.restored === 250)
      for (const [kind, id, value] of ratings) assert.strictEqual(yield* emulator.store.lookup(kind, id), value, id)
      for (const id of missing) assert.isUndefined(yield* emulator.store.lookup("library-songs", id))
      const puts = (yield* emulator.requestLog).filter((entry) => entry.method === "PUT" && entry.status === 200)
      assert.strictEqual(new Set(puts.map((entry) => entry.path)).size, puts.length)
    }))

  it.scopedLive("cancel stops a running clean-up: what is done stays done, nothing more is deleted", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { latency: "20 millis" } })
      const ratings = userRatings("c", 2000)
      yield* emulator.store.seed(ratings)
      const filename = Path.join(tempDir(), "unrate.sqlite")
      const status = yield* Effect.gen(function*() {
        yield* Cleanup.start({ key: "k-cancel", userId: "c", task: idsTask(ratings.map(([, id]) => id)) })
        yield* awaitStatus(
          Cleanup.status("k-cancel"),
          (status) => status._tag === "Running" && status.progress.deleted >= 20
        )
        yield* Cleanup.cancel("k-cancel")
        return yield* awaitStatus(Cleanup.status("k-cancel"), settled)
      }).pipe(Effect.provide(live(emulator, filename)))
      assert.strictEqual(status._tag, "Cancelled")
      const deletedAtCancel = 2000 - (yield* emulator.store.count())
      // Cancelled within its first chunk of 100: the chunk's batch stopped, not just the chunks after it.
      assert.isTrue(deletedAtCancel >= 20 && deletedAtCancel < 100, String(deletedAtCancel))
      assert.strictEqual(status._tag === "Cancelled" ? status.progress.deleted : -1, deletedAtCancel)
      const { sent } = deletesPerPath(yield* emulator.requestLog)
      assert.strictEqual(sent.size, deletedAtCancel)
    }))

  it.scopedLive("stopped mid-run and started again on the same file, a clean-up resumes: every id deleted once", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { latency: "10 millis", error503: 0.03 } })
      const ratings = userRatings("r", 600)
      yield* emulator.store.seed(ratings)
      const ids = ratings.map(([, id]) => id)
      const filename = Path.join(tempDir(), "unrate.sqlite")
      const first = yield* Scope.make()
      const context = yield* Layer.buildWithScope(live(emulator, filename), first)
      yield* Cleanup.start({ key: "k-resume", userId: "r", task: idsTask(ids) }).pipe(Effect.provide(context))
      yield* awaitStatus(Cleanup.status("k-resume"), (status) => status.progress.deleted >= 150).pipe(
        Effect.provide(context)
      )
      yield* Scope.close(first, Exit.void)
      const deletedBeforeRestart = 600 - (yield* emulator.store.count())
      assert.isTrue(deletedBeforeRestart < 600, String(deletedBeforeRestart))
      const status = yield* awaitStatus(Cleanup.status("k-resume"), settled).pipe(
        Effect.provide(live(emulator, filename))
      )
      assert.strictEqual(status._tag, "Completed")
      assert.strictEqual(status.progress.unsettled, 0)
      const log = yield* emulator.requestLog
      const { committed } = deletesPerPath(log)
      for (const id of ids) assert.strictEqual(committed.get(pathOf("library-songs", id)), 1, id)
      const entries = yield* Effect.flatMap(
        SqlJournal.make("k-resume"),
        (journal) => Stream.runCollect(journal.entries)
      )
        .pipe(Effect.provide(SqliteClient.layer({ filename })))
      const settledAt = new Map<string, number>()
      for (const entry of entries) {
        if (entry.outcome === "deleted") settledAt.set(pathOf(entry.kind, entry.id), Date.parse(entry.at))
      }
      assert.strictEqual(settledAt.size, 600)
      for (const entry of log) {
        if (entry.method === "DELETE") assert.isTrue(entry.at <= settledAt.get(entry.path)!, entry.path)
      }
      assert.strictEqual(yield* emulator.store.count(), 0)
    }))
})
