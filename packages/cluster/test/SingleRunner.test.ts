import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@unrate/emulator"
import { Effect, Layer, Redacted } from "effect"
import * as Path from "node:path"
import { Cleanup, UnrateCluster, UserTokens } from "../src/index.js"
import { awaitStatus, deletesPerPath, pathOf, settled, team, tempDir, userRatings } from "./fixtures.js"

const tokens = (emulator: Emulator.Emulator, overrides: Record<string, string> = {}) =>
  UserTokens.layer((userId) =>
    userId === "gone"
      ? Effect.fail(new UserTokens.TokenRevoked({ userId }))
      : Effect.succeed(Redacted.make(overrides[userId] ?? emulator.userToken))
  )

const live = (emulator: Emulator.Emulator, filename: string, overrides: Record<string, string> = {}) =>
  UnrateCluster.layerSingle({ filename, team: team(emulator), chunkSize: 100, concurrency: 4 }).pipe(
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
})
