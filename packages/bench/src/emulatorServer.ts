/**
 * Runs the emulator in its own process for benchmarks: prints its URL on the
 * first line of stdout and serves until stopped. Options come as JSON in argv[2].
 *
 * @since 0.1.0
 */
import { NodeRuntime } from "@effect/platform-node"
import { Emulator } from "@unrate/emulator"
import { Effect } from "effect"

const options: Emulator.Options = JSON.parse(process.argv[2] ?? "{}")

NodeRuntime.runMain(Effect.scoped(Effect.gen(function*() {
  const emulator = yield* Emulator.make({ admin: true, ...options })
  yield* Effect.sync(() => process.stdout.write(`${emulator.url}\n`))
  return yield* Effect.never
})))
