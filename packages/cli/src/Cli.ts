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
 *
 * Exit codes: 0 every target deleted, absent, skipped or planned; 1 a target
 * failed or was invalid; 2 usage error; 3 a token was refused (401/403) and
 * the batch stopped; 130 stopped by Ctrl-C.
 *
 * @since 0.1.0
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { loginCommand, logoutCommand } from "./internal/accountCommands.js"
import * as Argv from "./internal/argv.js"
import { deleteCommand, restoreCommand, runsCommand, sweepCommand } from "./internal/batchCommands.js"
import { demoCommand, emulatorCommand, tokenCommand } from "./internal/otherCommands.js"
import { exitCodes, makeProcess, packageVersion, ProcessTag, withHint } from "./internal/runtime.js"

/**
 * The version of the command, read from the package's `package.json`.
 *
 * @since 0.1.0
 * @category constants
 */
export const version: string = packageVersion

const subcommands = [
  deleteCommand,
  sweepCommand,
  restoreCommand,
  runsCommand,
  tokenCommand,
  loginCommand,
  logoutCommand,
  emulatorCommand,
  demoCommand
] as const

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

const cli = Command.run(command, { name: "unrate", version })

/** `unrate: <problem>` and where to read more: how every usage error is printed. */
const usageText = (problem: string, command: string | undefined) =>
  `unrate: ${problem}\nsee unrate${command === undefined || command === "" ? "" : ` ${command}`} --help\n`

/** @effect/cli prints its parse errors on the console: keep them, to print them the way unrate prints errors. */
const capturingErrors = (captured: Array<string>) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.consoleWith((console) =>
    Effect.withConsole(effect, {
      ...console,
      error: (...args: ReadonlyArray<unknown>) => Effect.sync(() => void captured.push(args.map(String).join(" ")))
    })
  )

const plainText = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "").trim()

/** The exit code of a command that failed with one of these errors; any other failure is 1. */
const exitCodeByTag: Record<string, number> = {
  UsageError: exitCodes.usage,
  ConfigurationError: exitCodes.usage,
  LoginFailed: exitCodes.refused
}

/**
 * Runs the command with `process.argv`, handles SIGINT and SIGTERM (the first
 * stops a batch gracefully, the second exits at once) and exits with the
 * documented code.
 *
 * @since 0.1.0
 * @category running
 */
export const main = (argv: ReadonlyArray<string> = process.argv): void => {
  const stop = Deferred.unsafeMake<void>(FiberId.none)
  const state = { graceful: false, exitCode: 0 }
  const io = makeProcess(stop, state)
  const checked = Argv.check(argv.slice(2), subcommands)
  if (Either.isLeft(checked)) {
    process.stderr.write(usageText(checked.left.problem, checked.left.command))
    process.exitCode = exitCodes.usage
    return
  }
  const commandName = argv.slice(2).find((arg) => !arg.startsWith("-"))
  const captured: Array<string> = []
  const program = cli(argv).pipe(
    capturingErrors(captured),
    Effect.catchAll((error) => {
      if (ValidationError.isValidationError(error)) {
        if (ValidationError.isHelpRequested(error)) return io.setExitCode(exitCodes.ok)
        return Effect.zipRight(
          io.stderr(usageText(plainText(captured.join("\n")) || "cannot read the command line", commandName)),
          io.setExitCode(exitCodes.usage)
        )
      }
      const tag = (error as { readonly _tag?: string })._tag
      const message = withHint(tag, (error as { readonly message?: string }).message ?? String(error))
      return Effect.zipRight(
        io.stderr(tag === "UsageError" ? usageText(message, commandName) : `unrate: ${message}\n`),
        io.setExitCode(exitCodeByTag[tag ?? ""] ?? exitCodes.failed)
      )
    }),
    Effect.catchAllDefect((defect) =>
      Effect.zipRight(io.stderr(`unrate: unexpected failure: ${String(defect)}\n`), io.setExitCode(exitCodes.failed))
    ),
    Effect.provide(Layer.mergeAll(
      NodeContext.layer,
      Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)),
      CliConfig.layer({ showBuiltIns: true })
    )),
    Effect.provideService(ProcessTag, io)
  )
  const fiber = Effect.runFork(program)
  let signals = 0
  const onSignal = () => {
    signals++
    if (signals === 1 && state.graceful) {
      process.stderr.write(
        "\nunrate: stopping: no new requests; waiting for those in flight (Ctrl-C again to quit now)\n"
      )
      Deferred.unsafeDone(stop, Exit.void)
    } else {
      state.exitCode = exitCodes.interrupted
      if (signals > 1) process.exit(exitCodes.interrupted)
      fiber.unsafeInterruptAsFork(FiberId.none)
    }
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  fiber.addObserver((exit) => {
    if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
      process.stderr.write(`unrate: ${Cause.pretty(exit.cause)}\n`)
      state.exitCode = exitCodes.failed
    }
    process.exitCode = state.exitCode
    process.exit()
  })
}
