/**
 * Side-by-side benchmarks against an emulator in another process:
 * 1. overhead: deletes through unrate's Node layer vs a bare undici loop;
 * 3. rate limits: a batch through unrate vs plain HttpClient.retryTransient
 *    against a limit of R requests per second answered 429 without Retry-After;
 * 5. lookups: ratings for 10,000 ids and the number of GET requests they cost.
 *
 * Run: pnpm --filter @unrate/bench bench:comparisons
 *
 * @since 0.1.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { AppleMusicRatings, Batch } from "@unrate/core"
import { NodeAppleMusic } from "@unrate/platform"
import { Effect, Redacted, Schedule, Stream } from "effect"
import { bareDeletes, headers, machine, median, percentile, startEmulator, writeSection } from "./harness.js"

const emulator = await startEmulator({ log: true })
const seed = async (n: number): Promise<ReadonlyArray<string>> => {
  await emulator.admin("POST", "/__admin/reset")
  const seeded = await emulator.admin("POST", "/__admin/seed", { kind: "library-songs", size: n, dislikes: 1 })
  return seeded.dislikes
}
const log = async (): Promise<ReadonlyArray<{ method: string; path: string; status: number }>> =>
  (await emulator.admin("GET", "/__admin/log")).log

const client = NodeAppleMusic.layer({
  baseUrl: emulator.url,
  developerToken: Redacted.make("emulator-developer-token"),
  userToken: Redacted.make("emulator-user-token"),
  rate: Infinity
})

const unrateDeletes = (ids: ReadonlyArray<string>, concurrency: number) =>
  Effect.gen(function*() {
    const latencies: Array<number> = []
    const started = performance.now()
    yield* Effect.forEach(ids, (id) =>
      Effect.suspend(() => {
        const t = performance.now()
        return AppleMusicRatings.deleteRating("library-songs", id).pipe(
          Effect.ensuring(Effect.sync(() => latencies.push(performance.now() - t)))
        )
      }), { concurrency, discard: true })
    return { seconds: (performance.now() - started) / 1000, latencies }
  }).pipe(Effect.provide(client))

const sections: Array<string> = []

// 1. Overhead
{
  const total = 20_000
  const rounds = 3
  const rows: Array<string> = []
  for (const concurrency of [8, 32, 128]) {
    const bare: Array<{ rate: number; p50: number; p99: number }> = []
    const ours: Array<{ rate: number; p50: number; p99: number }> = []
    for (let round = 0; round < rounds; round++) {
      const a = await bareDeletes(emulator.url, await seed(total), concurrency)
      bare.push({ rate: total / a.seconds, p50: percentile(a.latencies, 50), p99: percentile(a.latencies, 99) })
      const b = await Effect.runPromise(unrateDeletes(await seed(total), concurrency))
      ours.push({ rate: total / b.seconds, p50: percentile(b.latencies, 50), p99: percentile(b.latencies, 99) })
    }
    const m = (xs: Array<{ rate: number; p50: number; p99: number }>, k: "rate" | "p50" | "p99") =>
      median(xs.map((x) => x[k]))
    const row = `| ${concurrency} | ${Math.round(m(bare, "rate"))} | ${Math.round(m(ours, "rate"))} | ${
      (m(ours, "rate") / m(bare, "rate")).toFixed(2)
    } | ${m(bare, "p50").toFixed(1)} / ${m(bare, "p99").toFixed(1)} | ${m(ours, "p50").toFixed(1)} / ${
      m(ours, "p99").toFixed(1)
    } |`
    rows.push(row)
    console.log(row)
  }
  sections.push(`### Overhead

${total.toLocaleString("en")} DELETEs per run, unrate's Node layer (\`AppleMusicRatings.deleteRating\` in
\`Effect.forEach\`, no rate limit) and a bare undici pool taking turns, ${rounds} rounds, medians.
Target: unrate at least 0.9 of bare throughput.

| concurrency | bare (req/s) | unrate (req/s) | ratio | bare p50 / p99 (ms) | unrate p50 / p99 (ms) |
| --- | --- | --- | --- | --- | --- |
${rows.join("\n")}`)
}

// 3. Rate limits
{
  const limit = 200
  const total = 4_000
  const concurrency = 16
  await emulator.admin("POST", "/__admin/faults", { rateLimit: limit })
  const measure = async (run: (ids: ReadonlyArray<string>) => Promise<void>) => {
    const ids = await seed(total)
    await emulator.admin("POST", "/__admin/faults", { rateLimit: limit })
    const started = performance.now()
    await run(ids)
    const seconds = (performance.now() - started) / 1000
    const entries = await log()
    const limited = entries.filter((entry) => entry.status === 429).length
    const deleted = entries.filter((entry) => entry.method === "DELETE" && entry.status === 204).length
    return { seconds, share: deleted / seconds / limit, limited: limited / entries.length, deleted }
  }
  const unrate = await measure((ids) =>
    Effect.runPromise(
      Batch.run(Stream.fromIterable(ids).pipe(Stream.map((id) => ({ kind: "library-songs" as const, id }))), {
        concurrency,
        rate: limit * 1.5
      }).pipe(Effect.provide(client), Effect.asVoid)
    )
  )
  const plain = await measure((ids) =>
    Effect.runPromise(
      Effect.gen(function*() {
        const http = (yield* HttpClient.HttpClient).pipe(
          HttpClient.filterStatusOk,
          HttpClient.retryTransient({ schedule: Schedule.exponential("100 millis"), times: 10 })
        )
        yield* Effect.forEach(ids, (id) =>
          http.execute(
            HttpClientRequest.del(`${emulator.url}/v1/me/ratings/library-songs/${id}`).pipe(
              HttpClientRequest.setHeaders(headers)
            )
          ).pipe(Effect.ignore), { concurrency, discard: true })
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
    )
  )
  await emulator.admin("POST", "/__admin/faults", {})
  const row = (name: string, r: typeof unrate) =>
    `| ${name} | ${r.deleted} | ${r.seconds.toFixed(1)} | ${(r.share * 100).toFixed(1)}% | ${
      (r.limited * 100).toFixed(1)
    }% |`
  const rows = [row("unrate Batch.run (rate 300, adaptive)", unrate), row("HttpClient.retryTransient", plain)]
  rows.forEach((r) => console.log(r))
  sections.push(`### Rate limits

The emulator allows ${limit} requests per second per developer token and answers 429 without Retry-After
beyond it (as Apple does). ${total.toLocaleString("en")} deletes at concurrency ${concurrency}, one run each.
Targets: at least 90% of R, 429s under 5% of requests.

| client | deleted | seconds | achieved share of R | requests answered 429 |
| --- | --- | --- | --- | --- |
${rows.join("\n")}`)
}

// 5. Lookups
{
  const ids = await seed(10_000)
  await emulator.admin("POST", "/__admin/reset")
  await Effect.runPromise(AppleMusicRatings.getRatings("library-songs", ids).pipe(Effect.provide(client)))
  const gets = (await log()).filter((entry) => entry.method === "GET").length
  console.log(`lookups: ${gets} GET requests for 10,000 ids`)
  sections.push(`### Lookups

Ratings for 10,000 ids through \`AppleMusicRatings.getRatings\`: **${gets} GET requests** (target: ceil(n/100) = 100).`)
}

await emulator.stop()

writeSection(
  "comparisons",
  `## Side by side

Machine: ${machine()}. The emulator runs in its own process.

${sections.join("\n\n")}

Reproduce: \`pnpm --filter @unrate/bench bench:comparisons\``
)
