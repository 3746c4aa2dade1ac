import { ShardingConfig } from "@effect/cluster"
import { PgClient } from "@effect/sql-pg"
import type { Emulator } from "@unrate/emulator"
import { Clock, Effect, Redacted, Schedule } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import * as Url from "node:url"

const script = Path.join(Path.dirname(Url.fileURLToPath(import.meta.url)), "runner.ts")

export const pgUrl = (): string => {
  const url = process.env.UNRATE_PG_URL
  if (url === undefined) {
    throw new Error("UNRATE_PG_URL is not set: run `bash packages/cluster/scripts/with-postgres.sh pnpm test:cluster`")
  }
  return url
}

const freePort = Effect.async<number>((resume) => {
  const server = Net.createServer().listen(0, "127.0.0.1", () => {
    const address = server.address()
    server.close(() => resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0)))
  })
})

export interface Runner {
  readonly port: number
  readonly child: ChildProcess.ChildProcess
  readonly output: () => string
}

export interface RunnerOptions {
  readonly emulator: Emulator.Emulator
  readonly revokedFile?: string | undefined
  readonly teamRate?: number | undefined
  readonly port?: number | undefined
  readonly env?: Record<string, string> | undefined
}

/** Starts a runner process in its own process group and waits for its "ready". */
export const start = (options: RunnerOptions): Effect.Effect<Runner> =>
  Effect.gen(function*() {
    const port = options.port ?? (yield* freePort)
    const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", script], {
      cwd: Path.dirname(script),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        UNRATE_PG_URL: pgUrl(),
        UNRATE_RUNNER_PORT: String(port),
        UNRATE_BASE_URL: options.emulator.url,
        UNRATE_DEVELOPER_TOKEN: options.emulator.developerToken,
        UNRATE_USER_TOKEN: options.emulator.userToken,
        UNRATE_TEAM_RATE: String(options.teamRate ?? Infinity),
        ...(options.revokedFile === undefined ? {} : { UNRATE_REVOKED_FILE: options.revokedFile }),
        ...options.env
      }
    })
    let output = ""
    const logDir = process.env.UNRATE_RUNNER_LOG_DIR
    const logFile = logDir === undefined ? undefined : Path.join(logDir, `runner-${port}-${child.pid}.log`)
    const keep = (chunk: unknown) => {
      output += String(chunk)
      if (logFile !== undefined) Fs.appendFileSync(logFile, String(chunk))
    }
    child.stderr!.on("data", keep)
    yield* Effect.async<void, Error>((resume) => {
      child.stdout!.on("data", (chunk) => {
        keep(chunk)
        if (output.includes("ready\n")) resume(Effect.void)
      })
      child.once("exit", (code) => resume(Effect.fail(new Error(`runner exited ${code}: ${output}`))))
    }).pipe(
      Effect.timeout("60 seconds"),
      Effect.tapErrorCause(() => Effect.sync(() => child.kill("SIGKILL"))),
      Effect.orDie
    )
    return { port, child, output: () => output }
  })

/** Signals the runner's process group and waits for it to exit. */
export const stop = (runner: Runner, signal: NodeJS.Signals = "SIGTERM"): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (runner.child.exitCode !== null || runner.child.signalCode !== null) return resume(Effect.void)
    runner.child.once("exit", () => resume(Effect.void))
    try {
      process.kill(-runner.child.pid!, signal)
    } catch {
      resume(Effect.void)
    }
  })

/** How long a runner may take to shut down after SIGTERM: its requests in flight settle, then it leaves. */
export const shutdownTimeout = "30 seconds"

/** SIGTERM, and the runner must be gone within {@link shutdownTimeout}: a runner that hangs fails the test. */
export const shutDown = (runner: Runner): Effect.Effect<void> =>
  stop(runner, "SIGTERM").pipe(
    Effect.timeoutFail({
      duration: shutdownTimeout,
      onTimeout: () =>
        new Error(
          `runner :${runner.port} still running ${shutdownTimeout} after SIGTERM:\n${runner.output().slice(-3000)}`
        )
    }),
    Effect.orDie
  )

/**
 * Starts `count` runners at once (on an empty database too: `UnrateCluster.layer` creates @effect/cluster's tables
 * one runner at a time); they are killed (process group) when the scope closes.
 */
export const startAll = (count: number, options: RunnerOptions) =>
  Effect.all(
    Array.from({ length: count }, () => Effect.acquireRelease(start(options), (runner) => stop(runner, "SIGKILL"))),
    { concurrency: "unbounded" }
  )

/** The runners' shards (the default; SqlRunnerStorage holds shard `i` as the advisory lock 1000000 + i). */
const shards = ShardingConfig.defaults.shardsPerGroup

/** Unchanged for this long, every runner has refreshed its view of the cluster (`refreshAssignmentsInterval`). */
const settledFor = 2_500

/**
 * Waits until `count` runners hold all the shards between them, the same way for {@link settledFor}: the runners
 * that started together have seen each other and handed shards over. A clean-up started before may have its
 * shard handed over mid-run, and @effect/cluster 0.60 can then strand a message that the runner giving the shard up
 * read after its new owner reset it (read again only 10 minutes later).
 */
export const awaitShardsSettled = (url: string, count: number): Effect.Effect<void> =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const holding = sql<{ pid: number; n: unknown }>`SELECT pid, COUNT(*) AS n FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objid BETWEEN 1000001 AND ${1_000_000 + shards}
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      GROUP BY pid ORDER BY pid`
    let last = ""
    let since = 0
    yield* Effect.repeat(
      Effect.gen(function*() {
        const rows = yield* holding
        const now = yield* Clock.currentTimeMillis
        const held = rows.map((row) => `${row.pid}:${Number(row.n)}`).join(",")
        if (held !== last) {
          last = held
          since = now
        }
        const total = rows.reduce((sum, row) => sum + Number(row.n), 0)
        return rows.length === count && total === shards && now - since >= settledFor
      }),
      { schedule: Schedule.spaced("200 millis"), until: (settled) => settled }
    ).pipe(
      Effect.timeoutFail({
        duration: "60 seconds",
        onTimeout: () => new Error(`${count} runners did not settle their shards in 60 s (backend pid:shards ${last})`)
      })
    )
  }).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url) })),
    Effect.orDie
  )

/**
 * Clears the read mark of every unprocessed message, as @effect/cluster does itself for the shards a runner
 * acquires: each message is delivered again at its runner's next poll (one already running is skipped there).
 * Called once the shards have settled after runners started while clean-ups were under way (they resume by
 * themselves, so their messages may have been read, and stranded, during the hand-over).
 */
export const redeliverUnprocessed = (url: string): Effect.Effect<void> =>
  Effect.flatMap(PgClient.PgClient, (sql) => sql`UPDATE cluster_messages SET last_read = NULL WHERE NOT processed`)
    .pipe(
      Effect.asVoid,
      Effect.provide(PgClient.layer({ url: Redacted.make(url) })),
      Effect.orDie
    )
