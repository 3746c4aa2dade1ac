import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as AppleMusicLimits from "@unrate/core/AppleMusicLimits"
import * as Effect from "effect/Effect"

/**
 * The commands as @effect/cli reads them: names, arguments and options, cheap to load. Each handler
 * imports its module (the engine, the HTTP client, the emulator) only when its command runs, so help,
 * `--version` and usage errors never load them.
 */

const lazy = <M, A, E, R>(load: () => Promise<M>, run: (module: M) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.promise(load), run)

/** The defaults of the speed flags: what `unrate demo` runs at too. @internal */
export const speedDefaults = { concurrency: 8, initialRate: 20 } as const

/** @internal */
export const batchOptions = {
  language: Options.text("language").pipe(Options.optional),
  concurrency: Options.integer("concurrency").pipe(Options.withDefault(speedDefaults.concurrency)),
  rate: Options.float("rate").pipe(Options.optional),
  initialRate: Options.float("initial-rate").pipe(Options.withDefault(speedDefaults.initialRate)),
  fixedRate: Options.boolean("fixed-rate"),
  journal: Options.text("journal").pipe(Options.optional),
  noJournal: Options.boolean("no-journal"),
  maxDeletions: Options.integer("max-deletions").pipe(Options.optional),
  dryRun: Options.boolean("dry-run"),
  yes: Options.boolean("yes"),
  json: Options.boolean("json")
}

/** @internal */
export const deleteConfig = {
  kind: Args.text({ name: "kind" }),
  ids: Args.text({ name: "id" }).pipe(Args.repeated),
  idsFile: Options.text("ids-file").pipe(Options.optional),
  ...batchOptions
}

/** @internal */
export const sweepConfig = {
  kind: Args.text({ name: "library-kind" }),
  value: Options.choice("value", ["like", "dislike", "all"]).pipe(Options.withDefault("dislike" as const)),
  ...batchOptions
}

/** @internal */
export const restoreConfig = {
  journal: Options.text("journal").pipe(Options.optional),
  last: Options.boolean("last"),
  concurrency: batchOptions.concurrency,
  rate: batchOptions.rate,
  initialRate: batchOptions.initialRate,
  fixedRate: batchOptions.fixedRate,
  dryRun: batchOptions.dryRun,
  json: batchOptions.json
}

/** @internal */
export const runsConfig = { json: batchOptions.json }

/** @internal */
export const tokenConfig = { ttl: Options.integer("ttl").pipe(Options.optional) }

const share = (name: string) => Options.float(name).pipe(Options.optional)

/** @internal */
export const emulatorConfig = {
  port: Options.integer("port").pipe(Options.withDefault(0)),
  seed: Options.integer("seed").pipe(Options.withDefault(1)),
  songs: Options.integer("songs").pipe(Options.withDefault(1000)),
  likes: Options.float("likes").pipe(Options.withDefault(0.1)),
  dislikes: Options.float("dislikes").pipe(Options.withDefault(0.15)),
  rateLimit: Options.integer("rate-limit").pipe(Options.optional),
  retryAfter: Options.boolean("retry-after"),
  error500: share("error-500"),
  error503: share("error-503"),
  error429: share("error-429"),
  resets: share("resets"),
  dropAfterCommit: share("drop-after-commit"),
  latency: Options.integer("latency").pipe(Options.optional),
  expireUserTokenAfter: Options.integer("expire-user-token-after").pipe(Options.optional),
  deleteMissing: Options.choice("delete-missing", ["404", "204"]).pipe(Options.withDefault("404" as const)),
  admin: Options.boolean("admin")
}

/** @internal */
export const loginConfig = {
  port: Options.integer("port").pipe(Options.withDefault(0)),
  noOpen: Options.boolean("no-open")
}

/** @internal */
export const shells = ["bash", "zsh", "fish"] as const

/** @internal */
export const completionsConfig = {
  shell: Args.choice(shells.map((shell) => [shell, shell] as const), { name: "shell" })
}

/** @internal */
export const helpConfig = { command: Args.text({ name: "command" }).pipe(Args.optional) }

/** The flags each handler gets. @internal */
export type Flags<Config extends Command.Command.Config> = Command.Command.ParseConfig<Config>

/** The lifetime `unrate token --ttl` accepts at most, in seconds. @internal */
export const maxTtlSeconds = AppleMusicLimits.developerTokenMaxTtlSeconds

const batch = () => import("./batchCommands.js")
const other = () => import("./otherCommands.js")
const account = () => import("./accountCommands.js")
const shellScripts = () => import("./completions.js")
const helpText = () => import("./help.js")

/** The subcommands of `unrate`, in the order help lists them. @internal */
export const subcommands = [
  Command.make("delete", deleteConfig, (flags) => lazy(batch, (m) => m.runDelete(flags))),
  Command.make("sweep", sweepConfig, (flags) => lazy(batch, (m) => m.runSweep(flags))),
  Command.make("restore", restoreConfig, (flags) => lazy(batch, (m) => m.runRestore(flags))),
  Command.make("runs", runsConfig, (flags) => lazy(batch, (m) => m.runRuns(flags))),
  Command.make("token", tokenConfig, (flags) => lazy(other, (m) => m.runToken(flags))),
  Command.make("login", loginConfig, (flags) => lazy(account, (m) => m.runLogin(flags))),
  Command.make("logout", {}, () => lazy(account, (m) => m.runLogout)),
  Command.make("emulator", emulatorConfig, (flags) => lazy(other, (m) => m.runEmulator(flags))),
  Command.make("demo", {}, () => lazy(other, (m) => m.runDemo)),
  Command.make("completions", completionsConfig, (flags) => lazy(shellScripts, (m) => m.runCompletions(flags))),
  Command.make("help", helpConfig, (flags) => lazy(helpText, (m) => m.runHelp(flags)))
] as const

/** The name of a command. @internal */
export const nameOf = (command: Command.Command<any, any, any, any>): string => [...Command.getNames(command)][0]!
