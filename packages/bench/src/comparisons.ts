/**
 * Side-by-side benchmarks against an emulator in another process:
 * 1. overhead: deletes through unrate's Node layer vs a bare undici loop;
 * 3. rate limits: a batch through unrate vs plain HttpClient.retryTransient
 *    against a limit of R requests per second answered 429 without Retry-After;
 * 4. faults: a batch through 5% 503s, 2% connection resets and 3% 429s vs the
 *    same batch without faults, with exactly-once proof from the emulator's log;
 * 5. lookups: ratings for 10,000 ids and the number of GET requests they cost.
 *
 * Run: pnpm --filter @unrate/bench bench:comparisons [overhead|rate|faults|lookups …]
 * (naming sections runs only those and prints them without touching docs/benchmarks.md)
 *
 * @since 0.1.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { AppleMusicRatings, Batch, RetryPolicy } from "@unrate/core"
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

const clientWith = (options: { readonly retry?: RetryPolicy.RetryPolicy } = {}) =>
  NodeAppleMusic.layer({
    baseUrl: emulator.url,
    developerToken: Redacted.make("emulator-developer-token"),
    userToken: Redacted.make("emulator-user-token"),
    rate: Infinity,
    ...options
  })
const client = clientWith()

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

const only = process.argv.slice(2)
const wanted = (name: string) => only.length === 0 || only.includes(name)

// 1. Overhead
if (wanted("overhead")) {
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
if (wanted("rate")) {
  const limit = 200
  const total = 10_000
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

// 4. Faults
if (wanted("faults")) {
  const total = 10_000
  const concurrency = 16
  const rounds = 3
  const faults = { error503: 0.05, resetRate: 0.02, error429: 0.03 }
  // The same client with a short retry backoff (20 ms instead of 250 ms), to show what the waiting costs.
  const quickClient = clientWith({ retry: RetryPolicy.make({ base: "20 millis" }) })
  const batch = (ids: ReadonlyArray<string>, quick: boolean) =>
    Batch.run(Stream.fromIterable(ids).pipe(Stream.map((id) => ({ kind: "library-songs" as const, id }))), {
      concurrency,
      rate: Infinity
    }).pipe(Effect.provide(quick ? quickClient : client))
  const measure = async (withFaults: boolean, quick = false) => {
    const ids = await seed(total)
    await emulator.admin("POST", "/__admin/faults", withFaults ? faults : {})
    const started = performance.now()
    const summary = await Effect.runPromise(batch(ids, quick))
    const seconds = (performance.now() - started) / 1000
    await emulator.admin("POST", "/__admin/faults", {})
    const entries = await log()
    const deletedPerId = new Map<string, number>()
    for (const entry of entries) {
      if (entry.method === "DELETE" && entry.status === 204) {
        deletedPerId.set(entry.path, (deletedPerId.get(entry.path) ?? 0) + 1)
      }
    }
    const exactlyOnce = ids.every((id) => deletedPerId.get(`/v1/me/ratings/library-songs/${id}`) === 1) &&
      deletedPerId.size === total
    const state = await emulator.admin("GET", "/__admin/state")
    return {
      seconds,
      requests: entries.length,
      byStatus: (status: number) => entries.filter((entry) => entry.status === status).length,
      notFound: entries.filter((entry) => entry.status === 404).length,
      exactlyOnce,
      left: (state.ratings as ReadonlyArray<unknown>).length,
      summary
    }
  }
  const clean: Array<Awaited<ReturnType<typeof measure>>> = []
  const faulty: Array<Awaited<ReturnType<typeof measure>>> = []
  const quickRetries: Array<Awaited<ReturnType<typeof measure>>> = []
  for (let round = 0; round < rounds; round++) {
    clean.push(await measure(false))
    faulty.push(await measure(true))
    quickRetries.push(await measure(true, true))
  }
  const row = (name: string, runs: typeof clean) => {
    const last = runs[runs.length - 1]!
    return `| ${name} | ${median(runs.map((r) => r.seconds)).toFixed(2)} | ${
      Math.round(median(runs.map((r) => r.requests)))
    } | ${last.byStatus(503)} / ${last.byStatus(0)} / ${last.byStatus(429)} | ${
      runs.map((r) => r.summary.deleted).join(", ")
    } | ${runs.every((r) => r.exactlyOnce && r.notFound === 0 && r.left === 0) ? "yes" : "**no**"} |`
  }
  const rows = [
    row("no faults", clean),
    row("5% 503, 2% resets, 3% 429", faulty),
    row("the same faults, retry backoff from 20 ms", quickRetries)
  ]
  rows.forEach((r) => console.log(r))
  const slowdown = median(faulty.map((r) => r.seconds)) / median(clean.map((r) => r.seconds))
  sections.push(`### Faults

${total.toLocaleString("en")} deletes through \`Batch.run\` (concurrency ${concurrency}, the default retry policy, no
rate ceiling), alternating a fault-free run with a run where the emulator answers 5% of requests 503,
resets 2% of connections before answering and answers 3% with 429; ${rounds} rounds, median time. "Exactly
once" checks the emulator's request log of every run: each of the ${
    total.toLocaleString("en")
  } ids has exactly one DELETE
answered 204, no DELETE was answered 404 (none was deleted twice), and the emulator holds none of them afterwards.

| run | seconds (median) | requests (median) | 503 / reset / 429 (last run) | deleted per run | exactly once, every run |
| --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

The faulty runs take ${slowdown.toFixed(2)}× the fault-free time, and ${
    (median(quickRetries.map((r) => r.seconds)) / median(clean.map((r) => r.seconds))).toFixed(2)
  }× with a 20 ms retry backoff: most of the difference is the default policy's backoff (250 ms, doubling, jittered),
which holds a worker for every one of the ~1,000 retries, on purpose: it is what keeps a struggling server from being
hammered. Every run deletes every target exactly once.`)
}

// 5. Lookups
if (wanted("lookups")) {
  const ids = await seed(10_000)
  await emulator.admin("POST", "/__admin/reset")
  await Effect.runPromise(AppleMusicRatings.getRatings("library-songs", ids).pipe(Effect.provide(client)))
  const gets = (await log()).filter((entry) => entry.method === "GET").length
  console.log(`lookups: ${gets} GET requests for 10,000 ids`)
  sections.push(`### Lookups

Ratings for 10,000 ids through \`AppleMusicRatings.getRatings\`: **${gets} GET requests** (target: ceil(n/100) = 100).`)
}

await emulator.stop()

if (only.length > 0) console.log(sections.join("\n\n"))
else {
  writeSection(
    "comparisons",
    `## Side by side

Machine: ${machine()}. The emulator runs in its own process.

${sections.join("\n\n")}

Reproduce: \`pnpm --filter @unrate/bench bench:comparisons\``
  )
}
