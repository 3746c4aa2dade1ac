import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { subcommands } from "./definitions.js"
import { exitCodes, makeProcess, ProcessTag, withHint } from "./runtime.js"
import { usageText } from "./usage.js"
import { packageVersion } from "./version.js"

/**
 * The part of the command that runs a command line through @effect/cli: loaded only once the command
 * line is known to be a command to run (not help, `--version` or a usage error).
 */

const cli = Command.run(
  Command.make("unrate").pipe(Command.withSubcommands(subcommands)),
  { name: "unrate", version: packageVersion }
)

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
 * Runs a command line that passed the checks with @effect/cli, handles SIGINT and SIGTERM (the first
 * stops a batch gracefully, the second exits at once) and exits with the documented code. @internal
 */
export const run = (argv: ReadonlyArray<string>): void => {
  const stop = Deferred.unsafeMake<void>(FiberId.none)
  const state = { graceful: false, exitCode: 0 }
  const io = makeProcess(stop, state)
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
