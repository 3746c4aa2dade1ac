/**
 * The probing limiter alone, on a simulated clock (Effect's TestClock): every
 * request is answered at once by a model of Apple's throttle (R requests per
 * 1-second window, 429 beyond it), so the figures say how well the limiter
 * finds R, apart from the client's own throughput and the machine's load.
 * Deterministic: the same figures on every machine.
 *
 * Run: pnpm --filter @unrate/bench bench:limits-model
 *
 * @since 0.3.0
 */
import { RateLimiter } from "@unrate/core"
import { Effect, Option, TestClock, TestContext } from "effect"
import { writeSection } from "./harness.js"
import { simulateEngine } from "./rateLimitsEngine.js"

interface Run {
  readonly limit: (millis: number) => number
  readonly deletes: number
  readonly maxMillis: number
}

/** Sends at the limiter's rate in 20 ms steps; answers deletes per whole second and the 429 share. */
const simulate = (run: Run) =>
  Effect.gen(function*() {
    const limiter = yield* RateLimiter.make({ rate: Infinity, initial: 20 })
    let carry = 0
    let done = 0
    let sent = 0
    let refused = 0
    let now = 0
    let windowStart = 0
    let inWindow = 0
    const perSecond: Array<number> = []
    while (done < run.deletes && now < run.maxMillis) {
      carry += (yield* limiter.currentRate) / 50
      const burst = Math.floor(carry)
      carry -= burst
      for (let i = 0; i < burst && done < run.deletes; i++) {
        if (now - windowStart >= 1000) {
          windowStart = now - (now % 1000)
          inWindow = 0
        }
        sent++
        inWindow++
        if (inWindow > run.limit(now)) {
          refused++
          yield* limiter.rateLimited(Option.none())
        } else {
          done++
          const second = Math.floor(now / 1000)
          while (perSecond.length <= second) perSecond.push(0)
          perSecond[second]!++
          yield* limiter.succeeded
        }
      }
      yield* TestClock.adjust("20 millis")
      now += 20
    }
    return { seconds: now / 1000, done, refused: refused / Math.max(1, sent), perSecond }
  }).pipe(Effect.provide(TestContext.TestContext))

const rows: Array<string> = []
for (const limit of [20, 50, 200, 1000]) {
  const deletes = Math.min(10_000, limit * 50)
  const r = await Effect.runPromise(simulate({ limit: () => limit, deletes, maxMillis: 600_000 }))
  const half = r.perSecond.slice(Math.floor(r.perSecond.length / 2))
  const secondHalf = half.reduce((a, b) => a + b, 0) / half.length
  const reached = r.perSecond.findIndex((count) => count >= 0.9 * limit) + 1
  const row = `| ${limit} | ${deletes.toLocaleString("en")} | ${(r.done / r.seconds / limit).toFixed(2)} | ${
    (secondHalf / limit).toFixed(2)
  } | ${(r.refused * 100).toFixed(1)}% | ${reached} s | ${r.seconds.toFixed(1)} s | ${(deletes / 20).toFixed(0)} s |`
  rows.push(row)
  console.log(row)
}
// The whole engine: 32 fibers reserving slots ahead (up to 32 / rate seconds), retries, 4 ms answers, emulator-like windows.
const engineRows: Array<string> = []
for (const limit of [20, 50, 200, 1000]) {
  const deletes = limit === 1000 ? 10_000 : limit * 30
  const r = await simulateEngine({ limit: () => limit, deletes, maxMillis: 600_000 })
  const mid = r.seconds / 2
  let inSecondHalf = 0
  r.perSecond.forEach((count, second) => {
    if (second >= Math.ceil(mid)) inSecondHalf += count
    else if (second + 1 > mid) inSecondHalf += count * (second + 1 - mid)
  })
  const reached = r.perSecond.findIndex((count) => count >= 0.9 * limit) + 1
  const row = `| ${limit} | ${deletes.toLocaleString("en")} | ${(r.done / r.seconds / limit).toFixed(2)} | ${
    (inSecondHalf / (r.seconds - mid) / limit).toFixed(2)
  } | ${(r.refused / r.sent * 100).toFixed(1)}% | ${reached} s | ${r.seconds.toFixed(1)} s |`
  engineRows.push(row)
  console.log(row)
}

const changing = await Effect.runPromise(
  simulate({ limit: (t) => t < 20_000 ? 200 : t < 40_000 ? 50 : 200, deletes: Infinity, maxMillis: 60_000 })
)
console.log(changing.perSecond.join(" "))

writeSection(
  "limits-model",
  `### The limiter alone, on a simulated clock

The same limiter (\`RateLimiter.make({ rate: Infinity, initial: 20 })\`, the CLI's defaults) against a
model of the throttle (R requests per 1-second window, 429 beyond it), every request answered at once, on
Effect's TestClock: what the limiter finds, apart from the client's throughput and the machine's load.
Deterministic. 10,000 deletes, or 50 seconds' worth at R when that is fewer.

| R (req/s) | deletes | share of R | second half | 429s | to 0.9 R | time | fixed 20 req/s |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

A limit of 200, then 50 after 20 s, then 200 after 40 s, deletes answered each second:
${changing.perSecond.join(" ")}.

The whole engine on the same clock (\`Batch.run\` at concurrency 32 over \`AppleMusicRatings.make\`, the
default retry policy, every answer after 4 ms, windows opened by the first request after the last one closed,
as the emulator's): the 32 workers take their slots with \`reserve\`, which hands them out at most a quarter
second ahead (before, up to 32 / rate seconds: 1.6 s at 20 req/s, so a cut reached the server that much later).
10,000 deletes, or 30 seconds' worth at R, as the emulator runs; second half by time; deterministic but for the
retry policy's jitter.

| R (req/s) | deletes | share of R | second half | 429s | to 0.9 R | time |
| --- | --- | --- | --- | --- | --- | --- |
${engineRows.join("\n")}

Reproduce: \`pnpm --filter @unrate/bench bench:limits-model\` (about 10 minutes: every answer goes through
the limiter; the engine rows are \`simulateEngine\` in \`packages/bench/src/rateLimitsEngine.ts\`)`
)
