import type * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Argv from "./argv.js"
import * as Colour from "./colour.js"
import type { Flags, helpConfig } from "./definitions.js"
import { nameOf, subcommands } from "./definitions.js"
import * as HelpTable from "./helpTable.js"
import { ProcessTag } from "./runtime.js"

/**
 * `unrate --help`, `unrate <command> --help` and `unrate help [command]`, rendered from the
 * @effect/cli definitions and the help table, wrapped to a width, with bold headings when colour is on.
 */

/** How to render: the width to wrap to and the styles. @internal */
export interface Layout {
  readonly width: number
  readonly styles: Colour.Styles
}

/** Words of `text` in lines of at most `width` columns (a longer word gets a line of its own). @internal */
export const wrap = (text: string, width: number): Array<string> => {
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(/\s+/).filter((word) => word !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === "" ? word : `${line} ${word}`
    }
  }
  if (line !== "") lines.push(line)
  return lines
}

const indent = (lines: ReadonlyArray<string>, by: number) => lines.map((line) => `${" ".repeat(by)}${line}`)

/**
 * Rows of a term and its description: the descriptions in one column, wrapped, or under a term too long
 * for the column; all under their terms when the column would leave too little room.
 */
const table = (rows: ReadonlyArray<readonly [string, string]>, width: number): Array<string> => {
  const column = Math.min(Math.max(0, ...rows.map(([term]) => term.length)) + 4, 34)
  const stacked = width - column < 30
  return rows.flatMap(([term, text]) => {
    if (stacked || term.length + 4 > column) {
      const at = stacked ? 6 : column
      return [`  ${term}`, ...indent(wrap(text, width - at), at)]
    }
    const [first = "", ...rest] = wrap(text, width - column)
    return [`  ${term.padEnd(column - 2)}${first}`.trimEnd(), ...indent(rest, column)]
  })
}

const section = (layout: Layout, title: string, lines: ReadonlyArray<string>) =>
  lines.length === 0 ? [] : ["", layout.styles.bold(title.toUpperCase()), ...lines]

const examples = (layout: Layout, items: ReadonlyArray<readonly [string, string]>) =>
  section(
    layout,
    "examples",
    items.flatMap(([comment, command], i) => [
      ...(i === 0 ? [] : [""]),
      ...indent(wrap(`# ${comment}`, layout.width - 2), 2),
      `  $ ${command}`
    ])
  )

const optionRow = (option: Argv.OptionSpec, help: HelpTable.OptionHelp): readonly [string, string] => {
  const term = help.value === undefined ? option.name : `${option.name} ${help.value}`
  const extras = [
    ...(option.choices === undefined ? [] : [`one of: ${option.choices.join(", ")}`]),
    ...(help.default === undefined ? [] : [`default: ${help.default}`])
  ]
  return [term, extras.length === 0 ? help.text : `${help.text} (${extras.join("; ")})`]
}

/** The options of a command that the help table does not explain: a test keeps this empty. @internal */
export const unexplained = (command: Command.Command<any, any, any, any>): Array<string> => {
  const help = HelpTable.commands[nameOf(command)]
  return Argv.optionsOf(command).map((option) => option.name).filter((name) =>
    help?.options[name.replace(/^--/, "")] === undefined
  )
}

const flagSections = (layout: Layout, command: Command.Command<any, any, any, any>, help: HelpTable.CommandHelp) => {
  const options = Argv.optionsOf(command)
  return help.groups.flatMap((group) => {
    const rows = options.flatMap((option) => {
      const entry = help.options[option.name.replace(/^--/, "")]
      return entry !== undefined && entry.group === group ? [optionRow(option, entry)] : []
    })
    return section(layout, `${group} flags`, table(rows, layout.width))
  })
}

/** The help of one command, or `undefined` for a name that is not one. @internal */
export const commandHelp = (name: string, layout: Layout): string | undefined => {
  const command = (subcommands as ReadonlyArray<Command.Command<any, any, any, any>>).find((candidate) =>
    nameOf(candidate) === name
  )
  const help = HelpTable.commands[name]
  if (command === undefined || help === undefined) return undefined
  const hasFlags = Argv.optionsOf(command).length > 0
  const usage = ["unrate", name, help.usage, hasFlags ? "[flags]" : ""].filter((part) => part !== "").join(" ")
  return [
    ...wrap(help.summary, layout.width),
    ...section(
      layout,
      "usage",
      indent(wrap(usage, layout.width - 4), 2).map((line, i) => i === 0 ? line : `  ${line}`)
    ),
    ...section(layout, "arguments", table(help.args.map((arg) => [arg.name, arg.text]), layout.width)),
    ...flagSections(layout, command, help),
    ...examples(layout, help.examples),
    ...section(
      layout,
      "learn more",
      indent(wrap("`unrate --help` lists every command and the flags they all take.", layout.width - 2), 2)
    ),
    ""
  ].join("\n")
}

/** `unrate --help`. @internal */
export const rootHelp = (layout: Layout): string =>
  [
    ...wrap(HelpTable.root.summary, layout.width),
    ...section(layout, "usage", ["  unrate <command> [flags]"]),
    ...HelpTable.root.groups.flatMap(([group, names]) =>
      section(
        layout,
        `${group} commands`,
        table(names.map((name) => [name, HelpTable.commands[name]?.summary ?? ""]), layout.width)
      )
    ),
    ...section(layout, "flags", table(HelpTable.root.flags, layout.width)),
    ...section(layout, "environment", table(HelpTable.root.environment, layout.width)),
    ...section(layout, "exit codes", table(HelpTable.root.exitCodes, layout.width)),
    ...examples(layout, HelpTable.root.examples),
    ...section(
      layout,
      "learn more",
      indent(wrap("`unrate <command> --help` or `unrate help <command>` explains a command.", layout.width - 2), 2)
    ),
    ""
  ].join("\n")

/** The layout for stdout of this process. @internal */
export const stdoutLayout = (): Layout => ({ width: Colour.width(), styles: Colour.forStream("stdout") })

/** The help text for `unrate help [command]`, or `undefined` for an unknown command. @internal */
export const helpFor = (name: string | undefined, layout: Layout = stdoutLayout()): string | undefined =>
  name === undefined ? rootHelp(layout) : commandHelp(name, layout)

/** `unrate help [command]` as a command handler. @internal */
export const runHelp = (flags: Flags<typeof helpConfig>) =>
  Effect.flatMap(
    ProcessTag,
    (io) => io.stdout(helpFor(flags.command._tag === "Some" ? flags.command.value : undefined) ?? "")
  )
