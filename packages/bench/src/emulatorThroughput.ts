/**
 * How many DELETEs per second the emulator answers on this machine, measured
 * with a bare undici loop from another process.
 *
 * Run: pnpm --filter @unrate/bench bench:emulator
 *
 * @since 0.1.0
 */
import { bareDeletes, machine, median, percentile, startEmulator, writeSection } from "./harness.js"

const total = 20_000
const rounds = 3
const concurrencies = [8, 32, 128]

const emulator = await startEmulator({ log: false })
const rows: Array<string> = []
try {
  for (const concurrency of concurrencies) {
    const rates: Array<number> = []
    const p99s: Array<number> = []
    for (let round = 0; round < rounds; round++) {
      await emulator.admin("POST", "/__admin/reset")
      const seeded = await emulator.admin("POST", "/__admin/seed", { kind: "library-songs", size: total, dislikes: 1 })
      const result = await bareDeletes(emulator.url, seeded.dislikes, concurrency)
      if ((result.statuses.get(204) ?? 0) !== total) throw new Error(`unexpected statuses ${[...result.statuses]}`)
      rates.push(total / result.seconds)
      p99s.push(percentile(result.latencies, 99))
    }
    const row = `| ${concurrency} | ${Math.round(median(rates))} | ${median(p99s).toFixed(1)} |`
    rows.push(row)
    console.log(row)
  }
} finally {
  await emulator.stop()
}

writeSection(
  "emulator",
  `## Emulator throughput

${total.toLocaleString("en")} DELETEs (every one answered 204) from a bare undici pool in one process to the
emulator in another, median of ${rounds} rounds. Machine: ${machine()}.

| concurrency | DELETEs per second | p99 latency (ms) |
| --- | --- | --- |
${rows.join("\n")}

Reproduce: \`pnpm --filter @unrate/bench bench:emulator\``
)
