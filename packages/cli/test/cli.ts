import type { Emulator } from "@unrate/emulator"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Url from "node:url"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const bin = Path.resolve(here, "../src/bin.ts")

/** node runs the command itself (tsx only as a loader), so signals reach it. */
export const command = [process.execPath, "--import", "tsx", bin] as const

export interface Result {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly env?: Record<string, string | undefined>
  readonly stdin?: string
  /** Called once the child is running, e.g. to send it a signal. */
  readonly onStart?: (child: ChildProcess.ChildProcess) => void
}

/** An environment with nothing of the caller's Apple Music settings in it. */
export const cleanEnv = (extra: Record<string, string | undefined> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("APPLE_MUSIC_") && !key.startsWith("XDG_")) env[key] = value
  }
  env.XDG_CONFIG_HOME = Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-cli-config-"))
  env.XDG_STATE_HOME = Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-cli-state-"))
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value
  return env
}

export const emulatorEnv = (emulator: Emulator.Emulator, extra: Record<string, string> = {}) =>
  cleanEnv({
    APPLE_MUSIC_BASE_URL: emulator.url,
    APPLE_MUSIC_DEVELOPER_TOKEN: emulator.developerToken,
    APPLE_MUSIC_USER_TOKEN: emulator.userToken,
    ...extra
  })

export const run = (args: ReadonlyArray<string>, options: RunOptions = {}): Effect.Effect<Result> =>
  Effect.async<Result>((resume) => {
    const child = ChildProcess.spawn(command[0], [...command.slice(1), ...args], {
      cwd: here,
      env: options.env ?? cleanEnv(),
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdin.end(options.stdin ?? "")
    options.onStart?.(child)
    child.once("exit", (code, signal) => {
      setImmediate(() => resume(Effect.succeed({ code, signal, stdout, stderr })))
    })
  })

export const tempFile = (name: string, content?: string) => {
  const path = Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-cli-")), name)
  if (content !== undefined) Fs.writeFileSync(path, content)
  return path
}

export interface TerminalResult {
  readonly code: number | null
  /** Everything the terminal showed: stdout and stderr together, with the echo of what was typed. */
  readonly screen: string
}

/**
 * Runs the command in a pseudo-terminal (util-linux `script`), so stdin and stderr are terminals; once
 * `prompt` appears on the screen, types `answer` and Enter.
 */
export const runInTerminal = (
  args: ReadonlyArray<string>,
  options: { readonly env: Record<string, string>; readonly prompt: string; readonly answer: string }
): Effect.Effect<TerminalResult> =>
  Effect.async<TerminalResult>((resume) => {
    const shell = [...command, ...args].map((part) => `'${part}'`).join(" ")
    const child = ChildProcess.spawn("script", ["-qfec", shell, "/dev/null"], {
      cwd: here,
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"]
    })
    let screen = ""
    let typed = false
    const onData = (chunk: Buffer) => {
      screen += chunk.toString()
      if (!typed && screen.includes(options.prompt)) {
        typed = true
        child.stdin.write(`${options.answer}\r`)
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.once("exit", (code) => {
      child.stdin.destroy()
      setImmediate(() => resume(Effect.succeed({ code, screen })))
    })
  })
