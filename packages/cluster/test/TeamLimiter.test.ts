import { SingleRunner } from "@effect/cluster"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as Path from "node:path"
import { SqlJournal, TeamLimiter } from "../src/index.js"
import { tempDir } from "./fixtures.js"

const ceiling = 100

/** One runner's life on the database file: the team limiter entity registered, nothing else. */
const runner = (filename: string) =>
  TeamLimiter.layerEntity({ rate: ceiling }).pipe(
    Layer.provideMerge(SingleRunner.layer({ runnerStorage: "memory" })),
    Layer.provideMerge(Layer.effectDiscard(SqlJournal.migrate)),
    Layer.provideMerge(SqliteClient.layer({ filename }))
  )

const rateOf = (team: string) => Effect.flatMap(TeamLimiter.TeamLimiterEntity.client, (make) => make(team).rate())

const rate = rateOf("team-a")

describe("TeamLimiter", () => {
  it.scopedLive("the entity starts again from the rate it had learned, not from the ceiling", () =>
    Effect.gen(function*() {
      const filename = Path.join(tempDir(), "unrate.sqlite")
      const learned = yield* Effect.gen(function*() {
        const team = (yield* TeamLimiter.TeamLimiterEntity.client)("team-a")
        // A second of answers, a fifth of them 429s: a limit is hit, the rate drops below the ceiling.
        yield* team.answered({ succeeded: 40, limited: Array.from({ length: 10 }, () => null) })
        return yield* team.rate()
      }).pipe(Effect.provide(runner(filename)))
      assert.isBelow(learned, ceiling)
      // The same team on a new runner (the first one stopped): nothing answered yet, it paces at the learned rate.
      assert.strictEqual(yield* Effect.provide(rate, runner(filename)), learned)
      // Another team never learned anything: the ceiling.
      const other = yield* Effect.flatMap(TeamLimiter.TeamLimiterEntity.client, (make) => make("team-b").rate()).pipe(
        Effect.provide(runner(filename))
      )
      assert.strictEqual(other, ceiling)
    }))
  it.scopedLive("a 429 reaches the entity with the successes before it: it takes off its share of them, not half", () =>
    Effect.gen(function*() {
      const filename = Path.join(tempDir(), "unrate.sqlite")
      const trimmed = yield* Effect.gen(function*() {
        const limiter = yield* TeamLimiter.make("team-c", ceiling)
        for (let i = 0; i < 39; i++) yield* limiter.succeeded
        yield* limiter.rateLimited(Option.none())
        return yield* rateOf("team-c")
      }).pipe(Effect.scoped, Effect.provide(runner(filename)))
      // one 429 in 40 answers
      assert.strictEqual(trimmed, ceiling * 39 / 40)
    }))
})
