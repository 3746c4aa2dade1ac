import * as Command from "@effect/cli/Command"
import type * as Usage from "@effect/cli/Usage"
import * as Spelling from "@unrate/core/Spelling"
import * as Either from "effect/Either"
import * as Option from "effect/Option"

/**
 * An exact reading of the command line before @effect/cli sees it. @effect/cli matches option names
 * without regard to case and takes any unknown `--word` in the id position as an id; for a tool that
 * deletes, a mistyped option must stop everything instead.
 */

/** One option a command accepts, as its usage describes it. @internal */
export interface OptionSpec {
  readonly name: string
  readonly takesValue: boolean
  readonly choices: ReadonlyArray<string> | undefined
}

/** A mistake on the command line, with the command it concerns (for `see unrate <command> --help`). @internal */
export interface ArgvProblem {
  readonly problem: string
  readonly command: string | undefined
}

/** @effect/cli's own options, accepted on every command. */
const builtIns: ReadonlyArray<OptionSpec> = [
  { name: "--help", takesValue: false, choices: undefined },
  { name: "-h", takesValue: false, choices: undefined },
  { name: "--version", takesValue: false, choices: undefined },
  { name: "--wizard", takesValue: false, choices: undefined },
  { name: "--completions", takesValue: true, choices: ["sh", "bash", "fish", "zsh"] },
  { name: "--log-level", takesValue: true, choices: undefined }
]

/** Characters people (or word processors) type for `-`. */
const dashLike = /^[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]+/

const collect = (usage: Usage.Usage, into: Array<OptionSpec>): Array<OptionSpec> => {
  switch (usage._tag) {
    case "Named": {
      const accepted = Option.getOrUndefined(usage.acceptedValues)
      for (const name of usage.names) {
        if (!name.startsWith("-")) continue
        const choices = accepted !== undefined && accepted.includes(" | ") ? accepted.split(" | ") : undefined
        into.push({ name, takesValue: accepted !== undefined, choices })
      }
      return into
    }
    case "Optional":
    case "Repeated":
      return collect(usage.usage, into)
    case "Alternation":
    case "Concat":
      return collect(usage.right, collect(usage.left, into))
    default:
      return into
  }
}

/** The options of a command, read from its @effect/cli definition (one definition for both). @internal */
export const optionsOf = <Name extends string, R, E, A>(command: Command.Command<Name, R, E, A>) =>
  collect(Command.getUsage(command), [])

const nearestOption = (name: string, names: ReadonlyArray<string>): string | undefined => {
  const found = Spelling.nearest(name.replace(/^-+/, ""), names.map((option) => option.slice(2)))
  return found === undefined ? undefined : `--${found}`
}

/** Short options people reach for out of habit, and what unrate calls them. */
const habits: Record<string, string> = { "-n": "--dry-run", "-y": "--yes", "-j": "--json", "-f": "--ids-file" }

const unknownOption = (arg: string, options: ReadonlyArray<OptionSpec>, command: string): ArgvProblem => {
  const name = arg.split("=")[0]!
  const dashes = dashLike.exec(name)
  const normal = dashes === null ? name : `--${name.slice(dashes[0].length)}`
  const names = options.map((option) => option.name).filter((option) => option.startsWith("--"))
  const suggestion = habits[normal] !== undefined && names.includes(habits[normal])
    ? habits[normal]
    : nearestOption(normal, names)
  const why = dashes !== null
    ? ` (it starts with ${JSON.stringify(dashes[0][0])}, not "-")`
    : suggestion !== undefined && suggestion.toLowerCase() === normal.toLowerCase()
    ? " (options are case-sensitive)"
    : ""
  const hint = suggestion === undefined
    ? "; an id that starts with \"-\" goes after --"
    : `; did you mean ${suggestion}?`
  return { problem: `unknown option ${name}${why}${hint}`, command }
}

const checkValue = (option: OptionSpec, value: string, command: string): ArgvProblem | undefined => {
  if (option.choices === undefined || option.choices.includes(value)) return undefined
  const suggestion = Spelling.nearest(value, option.choices)
  return {
    problem: `${option.name} must be one of ${option.choices.join(", ")}; got ${JSON.stringify(value)}${
      suggestion === undefined ? "" : `; did you mean ${suggestion}?`
    }`,
    command
  }
}

/** What @effect/cli takes as the value of a flag written after it. */
const booleanWords = /^(true|false|yes|no|y|n|on|off|1|0)$/i

const looksLikeOption = (arg: string) => (arg.startsWith("-") && !/^-\d/.test(arg)) || dashLike.test(arg)

/** Checks the arguments after the command name; ends at `--`. */
const checkCommandArgs = (
  args: ReadonlyArray<string>,
  options: ReadonlyArray<OptionSpec>,
  command: string
): ArgvProblem | undefined => {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") return undefined
    if (!arg.startsWith("-") && !dashLike.test(arg)) continue
    if (arg === "-") {
      return { problem: "\"-\" is not an id; to read ids from stdin use --ids-file -", command }
    }
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [
      arg,
      undefined
    ]
    const option = options.find((candidate) => candidate.name === name)
    if (option === undefined) return unknownOption(arg, options, command)
    const next = args[i + 1]
    if (!option.takesValue) {
      if (inline !== undefined) return { problem: `${name} takes no value; got ${JSON.stringify(arg)}`, command }
      // @effect/cli would read such a word as the flag's value (`--dry-run 0` is "no dry run"), never as an id.
      if (next !== undefined && booleanWords.test(next)) {
        return {
          problem: `${name} takes no value, and ${JSON.stringify(next)} after it would be read as one; ` +
            `put ids after --, e.g. ${name} -- ${next}`,
          command
        }
      }
      continue
    }
    if (inline === undefined && next !== undefined && next !== "-" && looksLikeOption(next)) {
      return {
        problem: `${name} needs a value, but ${next} follows it; write ${name}=VALUE for a value that starts with "-"`,
        command
      }
    }
    const value = inline ?? next
    if (value === undefined) return { problem: `${name} needs a value`, command }
    if (inline === undefined) i++
    const bad = checkValue(option, value, command)
    if (bad !== undefined) return bad
  }
  return undefined
}

/**
 * Checks a command line (without `node` and the script) against the commands: every option is one the
 * command has, spelled exactly; anything in the id position that starts with `-` (or a dash-like
 * character) is an unknown option unless it follows `--`; choices are among the allowed values.
 *
 * @internal
 */
export const check = (
  args: ReadonlyArray<string>,
  commands: ReadonlyArray<Command.Command<any, any, any, any>>
): Either.Either<void, ArgvProblem> => {
  let at = 0
  while (at < args.length && (args[at]!.startsWith("-") || dashLike.test(args[at]!))) {
    const option = builtIns.find((candidate) => candidate.name === args[at]!.split("=")[0])
    if (option === undefined) return Either.left({ ...unknownOption(args[at]!, builtIns, ""), command: undefined })
    at += option.takesValue && !args[at]!.includes("=") ? 2 : 1
  }
  const first = args[at]
  if (first === undefined) return Either.void
  const names = commands.map((command) => [...Command.getNames(command)][0]!)
  const index = names.indexOf(first)
  if (index < 0) {
    const suggestion = Spelling.nearest(first, names)
    return Either.left({
      problem: `unknown command ${JSON.stringify(first)}; ${
        suggestion === undefined ? `the commands are ${names.join(", ")}` : `did you mean ${suggestion}?`
      }`,
      command: undefined
    })
  }
  const problem = checkCommandArgs(args.slice(at + 1), [...optionsOf(commands[index]!), ...builtIns], first)
  return problem === undefined ? Either.void : Either.left(problem)
}
