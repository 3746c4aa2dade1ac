import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@unrate/emulator"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Url from "node:url"
import { cleanEnv, emulatorEnv, run, runInTerminal, spawn } from "./cli.js"

const escape = "\u001b["
const colour = /\u001b\[\d+m/
const packageJson = JSON.parse(
  Fs.readFileSync(Path.resolve(Path.dirname(Url.fileURLToPath(import.meta.url)), "../package.json"), "utf8")
)

/** The environment of a person who said nothing about colour. */
const plainEnv = (extra: Record<string, string> = {}) => {
  const env = cleanEnv(extra)
  for (const key of ["NO_COLOR", "FORCE_COLOR", "TERM"]) if (!(key in extra)) delete env[key]
  return { TERM: "xterm-256color", ...env }
}

describe("unrate help", () => {
  it.effect(
    "<command> --help, piped: `unrate <command>` usage, grouped flags with defaults, no escapes",
    () =>
      Effect.gen(function*() {
        const result = yield* run(["delete", "--help"], { env: plainEnv() })
        assert.strictEqual(result.code, 0, result.stderr)
        assert.strictEqual(result.stderr, "")
        assert.notInclude(result.stdout, escape)
        const lines = result.stdout.split("\n")
        assert.include(lines, "  unrate delete <kind> [id...] [--ids-file PATH|-] [flags]")
        for (const heading of ["USAGE", "ARGUMENTS", "TARGETS FLAGS", "SAFETY FLAGS", "SPEED FLAGS", "OUTPUT FLAGS"]) {
          assert.include(lines, heading)
        }
        assert.isTrue(lines.some((line) => /^ {2}--concurrency N +.*\(default: 8\)$/.test(line)), result.stdout)
        assert.isTrue(lines.every((line) => line.length <= 80), result.stdout)
        for (
          const filler of ["A user-defined piece of text", "This setting is optional", "--wizard", "--completions"]
        ) {
          assert.notInclude(result.stdout, filler)
        }
        assert.strictEqual(lines.filter((line) => line.startsWith("  $ ")).length, 3)
        const sweep = yield* run(["sweep", "--help"], { env: plainEnv() })
        assert.match(
          sweep.stdout.replace(/\s+/g, " "),
          /--value VALUE which ratings to delete \(one of: like, dislike, all; default: dislike\)/
        )
      }),
    { timeout: 60_000 }
  )

  it.effect(
    "`unrate help <command>` is `unrate <command> --help`; the root help lists every command",
    () =>
      Effect.gen(function*() {
        const viaFlag = yield* run(["restore", "--help"], { env: plainEnv() })
        const viaCommand = yield* run(["help", "restore"], { env: plainEnv() })
        assert.strictEqual(viaCommand.code, 0)
        assert.strictEqual(viaCommand.stdout, viaFlag.stdout)
        const root = yield* run(["--help"], { env: plainEnv() })
        assert.strictEqual(root.code, 0)
        for (const name of ["delete", "sweep", "restore", "runs", "token", "login", "logout", "emulator", "demo"]) {
          assert.match(root.stdout, new RegExp(`^ {2}${name} +[A-Z]`, "m"), name)
        }
        assert.include(root.stdout, "--version")
        const bare = yield* run([], { env: plainEnv() })
        assert.strictEqual(bare.stdout, root.stdout)
      }),
    { timeout: 60_000 }
  )

  it.effect("--version prints `unrate <version>` from package.json", () =>
    Effect.gen(function*() {
      const result = yield* run(["--version"], { env: plainEnv() })
      assert.strictEqual(result.code, 0)
      assert.strictEqual(result.stdout, `unrate ${packageJson.version}\n`)
    }), { timeout: 60_000 })
})

describe("unrate colour", () => {
  it.effect(
    "in a terminal help is coloured, but never with NO_COLOR (any value) or TERM=dumb",
    () =>
      Effect.gen(function*() {
        const coloured = yield* runInTerminal(["delete", "--help"], { env: plainEnv() })
        assert.strictEqual(coloured.code, 0, coloured.screen)
        assert.match(coloured.screen, colour)
        for (
          const extra of [{ NO_COLOR: "1" }, { NO_COLOR: "" }, { TERM: "dumb" }, { NO_COLOR: "1", FORCE_COLOR: "1" }]
        ) {
          const plain = yield* runInTerminal(["delete", "--help"], { env: plainEnv(extra) })
          assert.strictEqual(plain.code, 0, plain.screen)
          assert.include(plain.screen, "unrate delete <kind>")
          assert.notMatch(plain.screen, colour, JSON.stringify(extra))
        }
      }),
    { timeout: 60_000 }
  )

  it.scopedLive(
    "a run's progress and summary: coloured in a terminal, plain with NO_COLOR or on a pipe",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make()
        const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 20, dislikes: 1 })
        const args = (ids: ReadonlyArray<string>) => ["delete", "library-songs", ...ids, "--yes", "--no-journal"]
        const env = (extra: Record<string, string> = {}) => ({ ...emulatorEnv(emulator, extra), TERM: "xterm" })
        const coloured = yield* runInTerminal(args(seeded.dislikes.slice(0, 5)), { env: env() })
        assert.strictEqual(coloured.code, 0, coloured.screen)
        assert.include(coloured.screen, `${escape}32m5 deleted${escape}39m`)
        const plain = yield* runInTerminal(args(seeded.dislikes.slice(5, 10)), { env: env({ NO_COLOR: "1" }) })
        assert.strictEqual(plain.code, 0, plain.screen)
        assert.include(plain.screen, "5 deleted")
        assert.notMatch(plain.screen, colour)
        const piped = yield* run(args(seeded.dislikes.slice(10, 15)), { env: env() })
        assert.strictEqual(piped.code, 0, piped.stderr)
        assert.notInclude(piped.stdout + piped.stderr, escape)
      }),
    { timeout: 60_000 }
  )

  it.effect("FORCE_COLOR colours help even on a pipe", () =>
    Effect.gen(function*() {
      const result = yield* run(["sweep", "--help"], { env: plainEnv({ FORCE_COLOR: "1" }) })
      assert.strictEqual(result.code, 0)
      assert.include(result.stdout, `${escape}1mUSAGE${escape}22m`)
    }), { timeout: 60_000 })
})

describe("unrate usage errors", () => {
  it.scopedLive(
    "each exits 2 with `unrate: <problem>`, the nearest word and where to read more, and sends nothing",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make()
        yield* emulator.store.seed([["library-songs", "i.AAA", -1]])
        const env = emulatorEnv(emulator)
        const cases: Array<[ReadonlyArray<string>, string, string]> = [
          [["delet", "library-songs", "i.AAA"], "unknown command \"delet\"; did you mean delete?", "see unrate --help"],
          [["sweep", "library-songs", "--value", "dislikes"], "did you mean dislike?", "see unrate sweep --help"],
          [["delete", "library-song", "i.AAA"], "did you mean 'library-songs'?", "see unrate delete --help"],
          [["sweep", "libary-songs"], "did you mean 'library-songs'?", "see unrate sweep --help"],
          [["help", "swep"], "unknown command \"swep\"; did you mean sweep?", "see unrate --help"],
          [["swep", "--help"], "unknown command \"swep\"; did you mean sweep?", "see unrate --help"],
          [["completions", "bsh"], "completions needs a shell: bash, zsh, fish", "see unrate completions --help"]
        ]
        for (const [args, problem, see] of cases) {
          const result = yield* run(args, { env })
          assert.strictEqual(result.code, 2, `${args.join(" ")}: ${result.stderr}`)
          const lines = result.stderr.trimEnd().split("\n")
          assert.strictEqual(lines.length, 2, result.stderr)
          assert.isTrue(lines[0]!.startsWith("unrate: "), lines[0])
          assert.include(lines[0], problem)
          assert.strictEqual(lines[1], see)
          assert.strictEqual(result.stdout, "")
        }
        assert.deepStrictEqual(yield* emulator.requestLog, [])
        assert.strictEqual(yield* emulator.store.count(), 1)
      }),
    { timeout: 120_000 }
  )
})

/** What bash completes for a command line whose last word is being typed. */
const complete = (script: string, words: ReadonlyArray<string>) =>
  spawn("bash", [
    "-c",
    `${script}\nCOMP_WORDS=(${words.map((word) => `'${word}'`).join(" ")}); COMP_CWORD=${
      words.length - 1
    }; _unrate; printf '%s\\n' "\${COMPREPLY[@]}"`
  ], { env: cleanEnv() }).pipe(Effect.map((result) => result.stdout.split("\n").filter((line) => line !== "")))

describe("unrate completions", () => {
  it.effect(
    "bash completes commands, kinds, flags and each --value choice as a word of its own",
    () =>
      Effect.gen(function*() {
        const generated = yield* run(["completions", "bash"], { env: plainEnv() })
        assert.strictEqual(generated.code, 0, generated.stderr)
        const script = generated.stdout
        assert.deepStrictEqual(yield* complete(script, ["unrate", "sw"]), ["sweep"])
        assert.deepStrictEqual(yield* complete(script, ["unrate", "sweep", "library-songs", "--value", ""]), [
          "like",
          "dislike",
          "all"
        ])
        assert.deepStrictEqual(yield* complete(script, ["unrate", "sweep", "library-"]), [
          "library-songs",
          "library-albums",
          "library-music-videos",
          "library-playlists"
        ])
        assert.deepStrictEqual(yield* complete(script, ["unrate", "delete", "mu"]), ["music-videos"])
        assert.deepStrictEqual(yield* complete(script, ["unrate", "delete", "songs", "i.AAA", "--dry"]), ["--dry-run"])
        assert.deepStrictEqual(yield* complete(script, ["unrate", "delete", "--journal", "x", "song"]), ["songs"])
        assert.deepStrictEqual(yield* complete(script, ["unrate", "delete", "songs", "--conc"]), ["--concurrency"])
        assert.deepStrictEqual(yield* complete(script, ["unrate", "restore", "--va"]), [])
      }),
    { timeout: 60_000 }
  )

  it.effect(
    "zsh's script is bash's through bashcompinit; fish's names every command, flag and choice",
    () =>
      Effect.gen(function*() {
        const bash = yield* run(["completions", "bash"], { env: plainEnv() })
        const zsh = yield* run(["completions", "zsh"], { env: plainEnv() })
        assert.include(zsh.stdout, "bashcompinit")
        assert.include(zsh.stdout, bash.stdout)
        const fish = (yield* run(["completions", "fish"], { env: plainEnv() })).stdout.split("\n")
        assert.include(
          fish,
          "complete -c unrate -n '__fish_seen_subcommand_from sweep' -l value -x -a 'like dislike all' -d 'which ratings to delete'"
        )
        assert.isTrue(fish.some((line) => line.startsWith("complete -c unrate -n __fish_use_subcommand -a delete ")))
        assert.isTrue(
          fish.some((line) => line.includes("-a 'library-songs library-albums library-music-videos library-playlists'"))
        )
      }),
    { timeout: 60_000 }
  )
})
