import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@unrate/emulator"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { emulatorEnv, run, runInTerminal, tempFile } from "./cli.js"

const mode = (path: string) => Fs.statSync(path).mode & 0o777

const deletes = (emulator: Emulator.Emulator) =>
  Effect.map(emulator.requestLog, (log) => log.filter((entry) => entry.method === "DELETE"))

describe("unrate: nothing deleted by accident", () => {
  it.scopedLive(
    "a mistyped, misspelt or wrong-case option is a usage error and sends nothing",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make()
        yield* emulator.store.seed([["library-songs", "i.AAA", -1], ["library-songs", "i.BBB", -1]])
        const env = emulatorEnv(emulator)
        const cases: Array<[ReadonlyArray<string>, string]> = [
          [
            ["delete", "library-songs", "i.AAA", "i.BBB", "--dryrun"],
            "unknown option --dryrun; did you mean --dry-run?"
          ],
          [["delete", "library-songs", "i.AAA", "--dry-runn"], "did you mean --dry-run?"],
          [["delete", "library-songs", "i.AAA", "-n"], "unknown option -n; did you mean --dry-run?"],
          [["delete", "library-songs", "i.AAA", "\u2014dry-run"], "did you mean --dry-run?"],
          [["delete", "library-songs", "--jornal", "run.jsonl", "i.AAA"], "did you mean --journal?"],
          [["delete", "library-songs", "i.AAA", "--max-deletion", "1"], "did you mean --max-deletions?"],
          [["delete", "library-songs", "i.AAA", "--DRY-RUN"], "options are case-sensitive); did you mean --dry-run?"],
          [["delete", "library-songs", "i.AAA", "--Dry-Run"], "did you mean --dry-run?"],
          [["delete", "library-songs", "--JOURNAL", "x.jsonl", "i.AAA"], "did you mean --journal?"],
          [["delete", "library-songs", "--Max-Deletions", "1", "i.AAA"], "did you mean --max-deletions?"],
          [["sweep", "library-songs", "--DRY-RUN"], "did you mean --dry-run?"],
          [["sweep", "library-songs", "--value", "dislikes"], "did you mean dislike?"],
          [["delet", "library-songs", "i.AAA"], "unknown command \"delet\"; did you mean delete?"],
          [["delete", "library-songs", "i.AAA", "--rate", "1e-7"], "--rate must be"],
          [["delete", "library-songs", "i.AAA", "--concurrency", "many"], "'many' is not a integer"],
          [["delete", "library-songs", "i.AAA", "--journal", "j.jsonl", "--no-journal"], "contradict"],
          [
            ["delete", "library-songs", "i.AAA", "i.BBB", "--journal", "--dry-run"],
            "--journal needs a value, but --dry-run"
          ],
          [["delete", "library-songs", "--dry-run", "0", "i.AAA"], "--dry-run takes no value, and \"0\" after it"],
          [["delete", "library-songs", "--yes", "n", "i.AAA"], "--yes takes no value, and \"n\" after it"]
        ]
        for (const [args, message] of cases) {
          const result = yield* run(args, { env })
          assert.strictEqual(result.code, 2, `${args.join(" ")}: ${result.stderr}`)
          const [problem, see] = result.stderr.trim().split("\n")
          assert.include(problem, message, args.join(" "))
          assert.isTrue(problem!.startsWith("unrate: "), problem)
          assert.strictEqual(see, `see unrate${args[0] === "delet" ? "" : ` ${args[0]}`} --help`)
          assert.strictEqual(result.stdout, "")
        }
        assert.deepStrictEqual(yield* emulator.requestLog, [])
        assert.strictEqual(yield* emulator.store.count(), 2)
      }),
    { timeout: 120_000 }
  )

  it.scopedLive("after --, an argument that starts with a dash is an id (and an invalid one is never sent)", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      yield* emulator.store.seed([["library-songs", "i.AAA", -1]])
      const result = yield* run(["delete", "library-songs", "--json", "--", "i.AAA", "--dry-run"], {
        env: emulatorEnv(emulator)
      })
      assert.strictEqual(result.code, 1, result.stderr)
      const json = JSON.parse(result.stdout)
      assert.deepStrictEqual([json.deleted, json.invalid, json.dryRun], [1, 1, false])
      assert.strictEqual(json.failures[0].id, "--dry-run")
      assert.deepStrictEqual((yield* deletes(emulator)).map((entry) => entry.path), [
        "/v1/me/ratings/library-songs/i.AAA"
      ])
    }))

  it.scopedLive(
    "delete and sweep journal by themselves (0600 in 0700); runs lists them; restore --last undoes",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make({
          library: [{ kind: "library-songs", size: 200, dislikes: 0.2, likes: 0.1 }]
        })
        const sorted = Effect.map(
          emulator.store.ratings,
          (ratings) => ratings.map((rating) => `${rating.kind}/${rating.id}=${rating.value}`).sort()
        )
        const before = yield* sorted
        const env = emulatorEnv(emulator)
        Fs.mkdirSync(Path.join(env.XDG_STATE_HOME!, "unrate"))
        Fs.chmodSync(Path.join(env.XDG_STATE_HOME!, "unrate"), 0o755)
        const first = yield* run(["sweep", "library-songs", "--value", "dislike", "--rate", "500", "--json"], { env })
        assert.strictEqual(first.code, 0, first.stderr)
        const swept = yield* run(["sweep", "library-songs", "--value", "like", "--rate", "500", "--json"], { env })
        assert.strictEqual(swept.code, 0, swept.stderr)
        const json = JSON.parse(swept.stdout)
        assert.deepStrictEqual([json.matched, json.deleted], [20, 20])
        const runs = Path.join(env.XDG_STATE_HOME!, "unrate", "runs")
        assert.strictEqual(Path.dirname(json.journal), runs)
        assert.match(Path.basename(json.journal), /^\d{4}-\d\d-\d\dT[\d-]+Z-sweep-library-songs(-\d+)?\.jsonl$/)
        assert.deepStrictEqual(
          [mode(json.journal), mode(Path.join(runs, "index.jsonl")), mode(runs), mode(Path.dirname(runs))],
          [0o600, 0o600, 0o700, 0o700]
        )
        assert.strictEqual(yield* emulator.store.count(), 0)

        const listed = yield* run(["runs", "--json"], { env })
        assert.strictEqual(listed.code, 0, listed.stderr)
        assert.deepStrictEqual(
          JSON.parse(listed.stdout).runs.map((
            run: any
          ) => [run.command, run.kind, run.journal, run.deleted, run.state]),
          [
            ["sweep", "library-songs", json.journal, 20, "not restored"],
            ["sweep", "library-songs", JSON.parse(first.stdout).journal, 40, "not restored"]
          ]
        )
        const restored = yield* run(["restore", "--last", "--json"], { env })
        assert.strictEqual(restored.code, 0, restored.stderr)
        assert.deepStrictEqual([JSON.parse(restored.stdout).restored, JSON.parse(restored.stdout).journal], [
          20,
          json.journal
        ])
        assert.deepStrictEqual(yield* sorted, before.filter((rating) => rating.endsWith("=1")))
        const states = JSON.parse((yield* run(["runs", "--json"], { env })).stdout).runs.map((run: any) => run.state)
        assert.deepStrictEqual(states, ["restored", "not restored"])
        const again = yield* run(["restore", "--last", "--json"], { env })
        assert.strictEqual(JSON.parse(again.stdout).skipped, 20)
        const text = yield* run(["runs"], { env })
        assert.match(text.stdout, /^WHEN \(UTC\) +COMMAND +KIND +DELETED +FAILED +STATE +JOURNAL\n/)
      }),
    { timeout: 60_000 }
  )

  it.scopedLive("--no-journal keeps none and says so; a dry run keeps none", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      yield* emulator.store.seed([["library-songs", "i.AAA", -1], ["library-songs", "i.BBB", 1]])
      const env = emulatorEnv(emulator)
      const dry = yield* run(["delete", "library-songs", "i.AAA", "--dry-run", "--json"], { env })
      assert.strictEqual(JSON.parse(dry.stdout).journal, null)
      const none = yield* run(["delete", "library-songs", "i.AAA", "--no-journal", "--json"], { env })
      assert.strictEqual(none.code, 0, none.stderr)
      assert.deepStrictEqual([JSON.parse(none.stdout).deleted, JSON.parse(none.stdout).journal], [1, null])
      const text = yield* run(["delete", "library-songs", "i.BBB", "--no-journal"], { env })
      assert.include(text.stdout, "journal: none (--no-journal): this run cannot be undone")
      assert.isFalse(Fs.existsSync(Path.join(env.XDG_STATE_HOME!, "unrate")))
    }), { timeout: 60_000 })

  it.scopedLive("sweep in a terminal asks first: y deletes, anything else sends nothing", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ library: [{ kind: "library-songs", size: 50, dislikes: 0.2 }] })
      const env = emulatorEnv(emulator)
      const prompt = "Delete 10 dislikes of library-songs (of 50 scanned)? [y/N]"
      for (const answer of ["n", "", "yes please"]) {
        const declined = yield* runInTerminal(["sweep", "library-songs"], { env, prompt, answer })
        assert.include(declined.screen, prompt)
        assert.strictEqual(declined.code, 1, declined.screen)
        assert.include(declined.screen, "nothing was deleted")
      }
      assert.deepStrictEqual(yield* deletes(emulator), [])
      assert.strictEqual(yield* emulator.store.count(), 10)
      const accepted = yield* runInTerminal(["sweep", "library-songs", "--rate", "500"], { env, prompt, answer: "y" })
      assert.strictEqual(accepted.code, 0, accepted.screen)
      assert.strictEqual((yield* deletes(emulator)).length, 10)
      assert.strictEqual(yield* emulator.store.count(), 0)
    }), { timeout: 60_000 })

  it.scopedLive("--yes, a dry run and a pipe on stdin never ask", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ library: [{ kind: "library-songs", size: 50, dislikes: 0.2 }] })
      const env = emulatorEnv(emulator)
      const dry = yield* runInTerminal(["sweep", "library-songs", "--dry-run"], { env, prompt: "[y/N]", answer: "n" })
      assert.strictEqual(dry.code, 0, dry.screen)
      assert.notInclude(dry.screen, "[y/N]")
      assert.include(dry.screen, "10 planned (dry run)")
      const yes = yield* runInTerminal(["sweep", "library-songs", "--yes", "--rate", "500"], {
        env,
        prompt: "[y/N]",
        answer: "n"
      })
      assert.strictEqual(yes.code, 0, yes.screen)
      assert.notInclude(yes.screen, "[y/N]")
      assert.strictEqual(yield* emulator.store.count(), 0)
      const piped = yield* run(["sweep", "library-songs", "--json"], { env })
      assert.strictEqual(piped.code, 0, piped.stderr)
    }), { timeout: 60_000 })

  it.scopedLive("delete of more than 100 ids in a terminal asks first; 100 do not", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 101, dislikes: 1 })
      const env = emulatorEnv(emulator)
      const many = tempFile("ids.txt", seeded.dislikes.join("\n"))
      const prompt = "Delete 101 ratings of library-songs? [y/N]"
      const declined = yield* runInTerminal(["delete", "library-songs", "--ids-file", many], {
        env,
        prompt,
        answer: "n"
      })
      assert.include(declined.screen, prompt)
      assert.strictEqual(declined.code, 1, declined.screen)
      assert.deepStrictEqual(yield* deletes(emulator), [])
      const hundred = tempFile("ids.txt", seeded.dislikes.slice(0, 100).join("\n"))
      const quiet = yield* runInTerminal(["delete", "library-songs", "--ids-file", hundred, "--rate", "500"], {
        env,
        prompt: "[y/N]",
        answer: "n"
      })
      assert.strictEqual(quiet.code, 0, quiet.screen)
      assert.notInclude(quiet.screen, "[y/N]")
      assert.strictEqual(yield* emulator.store.count(), 1)
    }), { timeout: 60_000 })
})

/** An emulated library of 40 songs whose 20 dislikes were swept into a journal. */
const sweptWithJournal = Effect.gen(function*() {
  const emulator = yield* Emulator.make({ library: [{ kind: "library-songs", size: 40, dislikes: 0.5 }] })
  const env = emulatorEnv(emulator)
  const journal = tempFile("run.jsonl")
  const swept = yield* run(["sweep", "library-songs", "--journal", journal, "--rate", "500"], { env })
  assert.strictEqual(swept.code, 0, swept.stderr)
  return { emulator, env, journal }
})

describe("unrate restore", () => {
  it.scopedLive(
    "--dry-run sends no PUT; --concurrency and --rate are checked like delete's",
    () =>
      Effect.gen(function*() {
        const { emulator, env, journal } = yield* sweptWithJournal
        const dry = yield* run(["restore", "--journal", journal, "--dry-run", "--json"], { env })
        assert.strictEqual(dry.code, 0, dry.stderr)
        const json = JSON.parse(dry.stdout)
        assert.deepStrictEqual([json.restored, json.planned, json.dryRun], [0, 20, true])
        assert.isFalse((yield* emulator.requestLog).some((entry) => entry.method === "PUT"))
        for (const flags of [["--concurrency", "0"], ["--rate", "0"]]) {
          const bad = yield* run(["restore", "--journal", journal, ...flags], { env })
          assert.strictEqual(bad.code, 2, bad.stderr)
        }
        const both = yield* run(["restore", "--journal", journal, "--last"], { env })
        assert.strictEqual(both.code, 2, both.stderr)
        assert.isFalse((yield* emulator.requestLog).some((entry) => entry.method === "PUT"))
      }),
    { timeout: 60_000 }
  )

  it.scopedLive(
    "a 403 stops restore at once with exit 3; what was not put back stays in the journal",
    () =>
      Effect.gen(function*() {
        const { emulator, env, journal } = yield* sweptWithJournal
        yield* emulator.setFaults({ userTokenExpiresAfter: 5 })
        const refused = yield* run(["restore", "--journal", journal, "--concurrency", "1", "--json"], { env })
        assert.strictEqual(refused.code, 3, refused.stderr)
        const json = JSON.parse(refused.stdout)
        assert.deepStrictEqual([json.stoppedBy, json.restored], ["Forbidden", 5])
        const puts = (yield* emulator.requestLog).filter((entry) => entry.method === "PUT")
        assert.deepStrictEqual(puts.map((entry) => entry.status), [200, 200, 200, 200, 200, 403])
        yield* emulator.setFaults({})
        const rest = yield* run(["restore", "--journal", journal, "--json"], { env })
        assert.deepStrictEqual([JSON.parse(rest.stdout).restored, JSON.parse(rest.stdout).skipped], [15, 5])
      }),
    { timeout: 60_000 }
  )
})

describe("unrate --language", () => {
  it.scopedLive("sends l= with the lookups and the DELETEs", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      yield* emulator.store.seed([["library-songs", "i.AAA", -1]])
      const journal = tempFile("run.jsonl")
      const result = yield* run(["delete", "library-songs", "i.AAA", "--language", "en-GB", "--journal", journal], {
        env: emulatorEnv(emulator)
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.deepStrictEqual((yield* emulator.requestLog).map((entry) => `${entry.method} ${entry.path}`), [
        "GET /v1/me/ratings/library-songs?ids=i.AAA&l=en-GB",
        "DELETE /v1/me/ratings/library-songs/i.AAA?l=en-GB"
      ])
    }))

  it.scopedLive("refuses a --language that is not a language tag, by the library's rule, before any request", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      yield* emulator.store.seed([["library-songs", "i.AAA", -1]])
      for (const language of ["en_GB", "en-GB&x=1"]) {
        const result = yield* run(["delete", "library-songs", "i.AAA", "--language", language, "--no-journal"], {
          env: emulatorEnv(emulator)
        })
        assert.strictEqual(result.code, 2, result.stderr)
        assert.include(
          result.stderr,
          `--language must be a language tag such as en-GB; got ${JSON.stringify(language)}`
        )
      }
      assert.deepStrictEqual(yield* emulator.requestLog, [])
      assert.strictEqual(yield* emulator.store.count(), 1)
    }))
})
