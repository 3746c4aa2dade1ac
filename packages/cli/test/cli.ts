import type { Emulator } from "@unrate/emulator"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Url from "node:url"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const bin = Path.resolve(here, "../src/bin.ts")

/** A fresh, empty working directory for a child, so nothing it writes lands in the repository. */
export const tempCwd = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-cli-cwd-"))

/** The process groups the tests started: each child leads its own, so one signal reaches all it started. */
const groups = new Set<number>()

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Signals a child's whole process group (`script`, a shell, and the command under them), if any is left. */
export const killGroup = (pgid: number, signal: NodeJS.Signals = "SIGKILL") => {
  try {
    process.kill(-pgid, signal)
  } catch {
    // Already gone.
  }
}

/**
 * Calls `done` once no process of the group is left (the command's own children, such as the esbuild
 * service tsx starts, end a moment after it, and must be reaped); gives up after 10 s, which the
 * check that no child outlives the tests then reports.
 */
const whenGroupGone = (pgid: number, done: () => void, deadline = Date.now() + 10_000) => {
  if (!groupAlive(pgid) || Date.now() > deadline) return done()
  setTimeout(() => whenGroupGone(pgid, done, deadline), 10)
}

/** The process groups started by the tests that still have a live process. */
export const liveGroups = (): ReadonlyArray<number> => [...groups].filter(groupAlive)

export interface Spawned {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Starts a program in its own process group and a temporary cwd, collects its output, and once it has
 * exited (or the effect is interrupted) kills whatever is left of the group, then waits for that.
 */
export const spawn = (
  file: string,
  args: ReadonlyArray<string>,
  options: {
    readonly env: Record<string, string>
    readonly onStart?: (child: ChildProcess.ChildProcessWithoutNullStreams) => void
  }
): Effect.Effect<Spawned> =>
  Effect.async<Spawned>((resume) => {
    const child = ChildProcess.spawn(file, args, {
      cwd: tempCwd(),
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true
    })
    const pgid = child.pid!
    groups.add(pgid)
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    options.onStart?.(child)
    child.once("exit", () => {
      killGroup(pgid)
      child.stdin.destroy()
    })
    // After "exit", once its output is read to the end.
    child.once("close", (code, signal) => {
      whenGroupGone(pgid, () => resume(Effect.succeed({ code, signal, stdout, stderr })))
    })
    return Effect.async<void>((done) => {
      killGroup(pgid)
      whenGroupGone(pgid, () => done(Effect.void))
    })
  })

/** tsx's loader by its path: the children run in a temporary cwd, where `tsx` alone would not resolve. */
const tsx = Url.pathToFileURL(
  Path.resolve(Path.dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/loader.mjs")
).href

/** node runs the command itself (tsx only as a loader), so signals reach it. */
export const command = [process.execPath, "--import", tsx, bin] as const

export interface Result {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly env?: Record<string, string>
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
  spawn(command[0], [...command.slice(1), ...args], {
    env: options.env ?? cleanEnv(),
    onStart: (child) => {
      child.stdin.end(options.stdin ?? "")
      options.onStart?.(child)
    }
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
  options: { readonly env: Record<string, string>; readonly prompt?: string; readonly answer?: string }
): Effect.Effect<TerminalResult> => {
  const shell = [...command, ...args].map((part) => `'${part}'`).join(" ")
  let screen = ""
  return spawn("script", ["-qfec", shell, "/dev/null"], {
    env: options.env,
    onStart: (child) => {
      let typed = false
      const onData = (chunk: Buffer) => {
        screen += chunk.toString()
        if (!typed && options.prompt !== undefined && screen.includes(options.prompt)) {
          typed = true
          child.stdin.write(`${options.answer ?? ""}\r`)
        }
      }
      child.stdout.on("data", onData)
      child.stderr.on("data", onData)
    }
  }).pipe(Effect.map(({ code }) => ({ code, screen })))
}
