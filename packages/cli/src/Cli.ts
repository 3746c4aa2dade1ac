/**
 * The `unrate` command.
 *
 * | command | what it does |
 * | --- | --- |
 * | `unrate delete <kind> [id...] [--ids-file PATH\|-]` | delete ratings by id |
 * | `unrate sweep <library-kind> [--value like\|dislike\|all]` | delete every matching rating of a library kind |
 * | `unrate restore --journal PATH` | undo a delete or sweep from its journal |
 * | `unrate token [--ttl SECONDS]` | print a signed developer token |
 * | `unrate emulator [--port N] [--seed N] [fault flags]` | run the emulator in the foreground |
 * | `unrate demo` | sweep an emulated library and undo it |
 * | `unrate completions bash\|zsh\|fish` | print a shell completion script |
 * | `unrate help [command]` | show help |
 *
 * Exit codes: 0 every target deleted, absent, skipped or planned; 1 a target
 * failed or was invalid; 2 usage error; 3 a token was refused (401/403) and
 * the batch stopped; 130 stopped by Ctrl-C.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Either from "effect/Either"
import * as Argv from "./internal/argv.js"
import { nameOf, shells, subcommands } from "./internal/definitions.js"
import { usageExitCode, usageText } from "./internal/usage.js"
import { packageVersion } from "./internal/version.js"

/**
 * The version of the command, read from the package's `package.json`.
 *
 * @since 0.1.0
 * @category constants
 */
export const version: string = packageVersion

/**
 * The root command with its subcommands.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("unrate").pipe(
  Command.withDescription("Remove Apple Music personal ratings (likes and dislikes), safely and resumably."),
  Command.withSubcommands(subcommands)
)

/** What a command line asks for, when it can be answered without running a command. */
type Quick =
  | { readonly _tag: "Version" }
  | { readonly _tag: "Help"; readonly command: string | undefined }
  | { readonly _tag: "Completions"; readonly shell: string | undefined }
  | { readonly _tag: "Run" }

/** The words before `--`, without the values of the root's own options. */
const wordsOf = (args: ReadonlyArray<string>) => {
  const end = args.indexOf("--")
  return end < 0 ? args : args.slice(0, end)
}

const quickOf = (args: ReadonlyArray<string>): Quick => {
  const words = wordsOf(args)
  const positional = words.filter((word, i) => !word.startsWith("-") && words[i - 1] !== "--log-level")
  const [first, second] = positional
  if (first === "help") return { _tag: "Help", command: second }
  if (words.includes("--help") || words.includes("-h") || first === undefined && !words.includes("--version")) {
    return { _tag: "Help", command: first }
  }
  if (words.includes("--version")) return { _tag: "Version" }
  if (first === "completions") return { _tag: "Completions", shell: second }
  return { _tag: "Run" }
}

const usageError = (problem: string, command?: string) => {
  process.stderr.write(usageText(problem, command))
  process.exitCode = usageExitCode
}

const help = async (name: string | undefined) => {
  const Help = await import("./internal/help.js")
  const text = Help.helpFor(name)
  if (text !== undefined) return void process.stdout.write(text)
  const names = subcommands.map(nameOf)
  const { nearest } = await import("@unrate/core/Spelling")
  const suggestion = nearest(name ?? "", names)
  usageError(
    `unknown command ${JSON.stringify(name)}; ${
      suggestion === undefined ? `the commands are ${names.join(", ")}` : `did you mean ${suggestion}?`
    }`
  )
}

const completions = async (shell: string | undefined) => {
  if (shell === undefined || !(shells as ReadonlyArray<string>).includes(shell)) {
    return usageError(`completions needs a shell: ${shells.join(", ")}`, "completions")
  }
  const Completions = await import("./internal/completions.js")
  process.stdout.write(Completions.script(shell as typeof shells[number]))
}

/**
 * Runs the command with `process.argv`, handles SIGINT and SIGTERM (the first
 * stops a batch gracefully, the second exits at once) and exits with the
 * documented code. Help, `--version`, completions and usage errors are answered
 * without loading the commands themselves.
 *
 * @since 0.1.0
 * @category running
 */
export const main = (argv: ReadonlyArray<string> = process.argv): void => {
  const args = argv.slice(2)
  const checked = Argv.check(args, subcommands)
  if (Either.isLeft(checked)) return usageError(checked.left.problem, checked.left.command)
  const quick = quickOf(args)
  switch (quick._tag) {
    case "Version":
      return void process.stdout.write(`unrate ${packageVersion}\n`)
    case "Help":
      return void help(quick.command)
    case "Completions":
      return void completions(quick.shell)
    case "Run":
      return void import("./internal/run.js").then((Run) => Run.run(argv))
  }
}
