import type * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Argv from "./argv.js"
import type { completionsConfig, Flags } from "./definitions.js"
import { nameOf, subcommands } from "./definitions.js"
import * as HelpTable from "./helpTable.js"
import { ProcessTag } from "./runtime.js"

/**
 * `unrate completions bash|zsh|fish`: scripts generated from the command definitions, completing
 * commands, the kinds of `delete` and `sweep`, each command's flags and their allowed values. The
 * choices are separate words (@effect/cli's built-in offered `like,dislike,all` as one).
 */

interface CommandWords {
  readonly name: string
  readonly summary: string
  readonly options: ReadonlyArray<Argv.OptionSpec>
  /** The words its first argument can be. */
  readonly first: ReadonlyArray<string>
}

const split = (list: string) => list.split(", ")

const firstArgument: Record<string, ReadonlyArray<string>> = {
  delete: [...split(HelpTable.libraryKinds), ...split(HelpTable.catalogKinds)],
  sweep: split(HelpTable.libraryKinds),
  completions: ["bash", "zsh", "fish"]
}

const pathOptions = ["--ids-file", "--journal"]

const words = (): ReadonlyArray<CommandWords> =>
  subcommands.map((command: Command.Command<any, any, any, any>) => {
    const name = nameOf(command)
    return {
      name,
      summary: HelpTable.commands[name]?.summary ?? "",
      options: [...Argv.optionsOf(command), { name: "--help", takesValue: false, choices: undefined }],
      first: name === "help" ? subcommands.map(nameOf) : firstArgument[name] ?? []
    }
  })

const rootFlags = ["--help", "--version", "--log-level"]

const bashCases = (commands: ReadonlyArray<CommandWords>, pick: (command: CommandWords) => string | undefined) =>
  commands.flatMap((command) => {
    const body = pick(command)
    return body === undefined ? [] : [`    ${command.name}) ${body} ;;`]
  })

/** The bash script (zsh runs it too, through bashcompinit). @internal */
export const bash = (): string => {
  const commands = words()
  const valued = [...new Set(commands.flatMap((c) => c.options.filter((o) => o.takesValue).map((o) => o.name)))]
  const choices = commands.flatMap((command) =>
    command.options.flatMap((option) =>
      option.choices === undefined
        ? []
        : [`    ${command.name}:${option.name}) _unrate_words "${option.choices.join(" ")}"; return ;;`]
    )
  )
  return [
    "# unrate completions for bash: source this file, or put it in ~/.local/share/bash-completion/completions/unrate",
    "_unrate_words() { COMPREPLY=($(compgen -W \"$1\" -- \"$cur\")); }",
    "_unrate() {",
    "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" cmd=\"\" args=0 i",
    "  for ((i = 1; i < COMP_CWORD; i++)); do",
    "    case \"${COMP_WORDS[i]}\" in",
    `      ${[...valued, "--log-level"].join("|")}) i=$((i + 1)) ;;`,
    "      -*) ;;",
    "      *) if [[ -z \"$cmd\" ]]; then cmd=\"${COMP_WORDS[i]}\"; else args=$((args + 1)); fi ;;",
    "    esac",
    "  done",
    "  case \"$cmd:$prev\" in",
    ...choices,
    `    *:${pathOptions.join("|*:")}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`,
    `    *:${valued.filter((name) => !pathOptions.includes(name)).join("|*:")}|*:--log-level) return ;;`,
    "  esac",
    "  if [[ \"$cur\" == -* ]]; then",
    "    case \"$cmd\" in",
    ...bashCases(commands, (command) => `_unrate_words "${command.options.map((option) => option.name).join(" ")}"`),
    `    *) _unrate_words "${rootFlags.join(" ")}" ;;`,
    "    esac",
    "    return",
    "  fi",
    "  case \"$cmd\" in",
    `    "") _unrate_words "${commands.map((command) => command.name).join(" ")}" ;;`,
    ...bashCases(
      commands,
      (command) =>
        command.first.length === 0 ? undefined : `[[ $args -eq 0 ]] && _unrate_words "${command.first.join(" ")}"`
    ),
    "  esac",
    "}",
    "complete -F _unrate unrate",
    ""
  ].join("\n")
}

/** The zsh script: bash's, through zsh's bashcompinit. @internal */
export const zsh = (): string =>
  [
    "# unrate completions for zsh: add `eval \"$(unrate completions zsh)\"` to ~/.zshrc, or source a saved copy",
    "autoload -U +X compinit && compinit",
    "autoload -U +X bashcompinit && bashcompinit",
    bash()
  ].join("\n")

const fishQuote = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`

/** The fish script. @internal */
export const fish = (): string => {
  const commands = words()
  const lines = [
    "# unrate completions for fish: save as ~/.config/fish/completions/unrate.fish",
    "complete -c unrate -f",
    "complete -c unrate -n __fish_use_subcommand -l help -s h -d 'show help'",
    "complete -c unrate -n __fish_use_subcommand -l version -d \"print unrate's version\"",
    ...commands.map((command) =>
      `complete -c unrate -n __fish_use_subcommand -a ${command.name} -d ${fishQuote(command.summary)}`
    )
  ]
  for (const command of commands) {
    const when = `'__fish_seen_subcommand_from ${command.name}'`
    if (command.first.length > 0) {
      lines.push(
        `complete -c unrate -n '__fish_seen_subcommand_from ${command.name}; and test (count (commandline -opc)) -eq 2' -a ${
          fishQuote(command.first.join(" "))
        }`
      )
    }
    for (const option of command.options) {
      const help = HelpTable.commands[command.name]?.options[option.name.slice(2)]
      const value = option.choices !== undefined
        ? ` -x -a ${fishQuote(option.choices.join(" "))}`
        : pathOptions.includes(option.name)
        ? " -r -F"
        : option.takesValue
        ? " -x"
        : ""
      const description = help === undefined ? "" : ` -d ${fishQuote(help.text)}`
      lines.push(`complete -c unrate -n ${when} -l ${option.name.slice(2)}${value}${description}`)
    }
  }
  return `${lines.join("\n")}\n`
}

/** The script for a shell. @internal */
export const script = (shell: "bash" | "zsh" | "fish"): string =>
  shell === "bash" ? bash() : shell === "zsh" ? zsh() : fish()

/** `unrate completions <shell>` as a command handler. @internal */
export const runCompletions = (flags: Flags<typeof completionsConfig>) =>
  Effect.flatMap(ProcessTag, (io) => io.stdout(script(flags.shell)))
