/**
 * One runner process of the multi-runner tests (and the benchmark): settings from
 * the environment, prints "ready" once it has joined the cluster, runs until killed.
 * Users named in the file at UNRATE_REVOKED_FILE get a token Apple refuses (403).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import * as Fs from "node:fs"
import { UnrateCluster, UserTokens } from "../src/index.js"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`runner: ${name} is not set`)
  return value
}

const revoked = (userId: string): boolean => {
  const file = process.env.UNRATE_REVOKED_FILE
  if (file === undefined || !Fs.existsSync(file)) return false
  return Fs.readFileSync(file, "utf8").split("\n").includes(userId)
}

const userToken = Redacted.make(env("UNRATE_USER_TOKEN"))

const tokens = UserTokens.layer((userId) =>
  Effect.sync(() => revoked(userId) ? Redacted.make("a-token-the-user-revoked") : userToken)
)

const Runner = UnrateCluster.layer({
  pg: { url: Redacted.make(env("UNRATE_PG_URL")), maxConnections: 8 },
  runnerAddress: { host: "127.0.0.1", port: Number(env("UNRATE_RUNNER_PORT")) },
  team: {
    baseUrl: env("UNRATE_BASE_URL"),
    developerToken: Redacted.make(env("UNRATE_DEVELOPER_TOKEN")),
    rate: Number(process.env.UNRATE_TEAM_RATE ?? "Infinity")
  },
  teamLimiter: process.env.UNRATE_TEAM_LIMITER === "local" ? "local" : "cluster",
  chunkSize: Number(process.env.UNRATE_CHUNK_SIZE ?? "250"),
  concurrency: Number(process.env.UNRATE_CONCURRENCY ?? "8"),
  shardingConfig: {
    entityTerminationTimeout: "2 seconds",
    runnerHealthCheckInterval: "2 seconds",
    entityMessagePollInterval: "1 second",
    refreshAssignmentsInterval: "1 second"
  }
}).pipe(Layer.provide(tokens))

Effect.gen(function*() {
  yield* Layer.build(Runner)
  yield* Effect.sync(() => process.stdout.write("ready\n"))
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Logger.withMinimumLogLevel(process.env.UNRATE_LOG_LEVEL === "debug" ? LogLevel.Debug : LogLevel.Info),
  NodeRuntime.runMain
)
