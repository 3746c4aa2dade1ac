import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Readline from "node:readline"
export { packageVersion } from "./version.js"

/** A mistake in how the command was called: exit code 2. @internal */
export class UsageError extends Schema.TaggedError<UsageError>("@unrate/cli/UsageError")("UsageError", {
  problem: Schema.String
}) {
  override get message(): string {
    return this.problem
  }
}

/** @internal */
export interface Process {
  /** Completes at the first SIGINT or SIGTERM, for commands that stop gracefully. */
  readonly stopRequested: Effect.Effect<void>
  /** From now on, the first signal asks for a graceful stop instead of interrupting. */
  readonly stopGracefully: Effect.Effect<void>
  readonly setExitCode: (code: number) => Effect.Effect<void>
  readonly stdout: (text: string) => Effect.Effect<void>
  readonly stderr: (text: string) => Effect.Effect<void>
  readonly stderrIsTTY: boolean
  /** Whether a person can answer a question (stdin is a terminal). */
  readonly stdinIsTTY: boolean
  readonly stdin: NodeJS.ReadableStream
  /** Asks on stderr and answers the line typed (empty at end of input). */
  readonly ask: (question: string) => Effect.Effect<string>
}

/** @internal */
export class ProcessTag extends Context.Tag("@unrate/cli/Process")<ProcessTag, Process>() {}

/** @internal */
export const makeProcess = (
  stop: Deferred.Deferred<void>,
  state: { graceful: boolean; exitCode: number }
): Process => ({
  stopRequested: Deferred.await(stop),
  stopGracefully: Effect.sync(() => {
    state.graceful = true
  }),
  setExitCode: (code) =>
    Effect.sync(() => {
      state.exitCode = code
    }),
  stdout: (text) => Effect.async<void>((resume) => void process.stdout.write(text, () => resume(Effect.void))),
  stderr: (text) => Effect.async<void>((resume) => void process.stderr.write(text, () => resume(Effect.void))),
  stderrIsTTY: process.stderr.isTTY === true,
  stdinIsTTY: process.stdin.isTTY === true,
  stdin: process.stdin,
  ask: (question) =>
    Effect.async<string>((resume) => {
      const lines = Readline.createInterface({ input: process.stdin, output: process.stderr, terminal: false })
      let answered = false
      const answer = (line: string) => {
        if (answered) return
        answered = true
        lines.close()
        resume(Effect.succeed(line))
      }
      lines.once("line", answer)
      lines.once("close", () => answer(""))
      process.stderr.write(question)
      return Effect.sync(() => lines.close())
    })
})

/** @internal */
export const exitCodes = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
  interrupted: 130
} as const

/**
 * What the user of the command can do about a failure, by error tag: the
 * library's messages say what happened, the command adds how to fix it with
 * its own flags, subcommands and environment variables. @internal
 */
export const hints: Readonly<Record<string, string>> = {
  Unauthorized:
    "check APPLE_MUSIC_DEVELOPER_TOKEN or the signing material (APPLE_MUSIC_TEAM_ID, APPLE_MUSIC_KEY_ID, APPLE_MUSIC_PRIVATE_KEY_FILE); `unrate token` signs a fresh one",
  Forbidden: "run `unrate login` again, or set APPLE_MUSIC_USER_TOKEN to a new music user token",
  RateLimited: "lower --rate"
}

/** A message with the command's hint for its error tag, if there is one. @internal */
export const withHint = (tag: string | null | undefined, message: string): string => {
  const hint = tag === null || tag === undefined ? undefined : hints[tag]
  return hint === undefined ? message : `${message} Hint: ${hint}.`
}
