/**
 * How well the probing limiter finds a server's limit, against the emulator
 * (in another process) limiting the whole team to R requests per second,
 * answering 429 without Retry-After beyond it, as Apple does. Three clients
 * take turns on the same emulator in one run: unrate at its defaults
 * (concurrency 32 here, starting at 20 req/s, no ceiling), unrate fixed at
 * today's 20 req/s (`--rate 20 --fixed-rate`), and plain
 * `HttpClient.retryTransient`. Then a limit that changes mid-run (200 for a
 * third of the run, 50, then 200 again), plotted to docs/rate-limits.svg.
 *
 * Run: pnpm --filter @unrate/bench bench:limits [--quick]
 * (--quick: a fifth of the deletes and a 30-second changing run; prints only,
 * docs/benchmarks.md and the plot are left alone)
 *
 * @since 0.3.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Batch } from "@unrate/core"
import { NodeAppleMusic } from "@unrate/platform"
import { Duration, Effect, Redacted, Schedule, Stream } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { headers, machine, repoRoot, startEmulator, writeSection } from "./harness.js"
import { svgChart } from "./rateLimitsChart.js"

const quick = process.argv.includes("--quick")
const scale = quick ? 0.2 : 1
const concurrency = 32
const limits: ReadonlyArray<number | undefined> = [20, 50, 200, 1000, undefined]
/** 10,000 deletes, or 30 seconds' worth at R when that is fewer (R = 20, 50), so the run stays within minutes. */
const deletesAt = (limit: number | undefined) =>
  Math.round(Math.min(10_000, limit === undefined ? 10_000 : limit * 30) * scale)
/** Fixed at 20 req/s a run takes n / 20 seconds: measured on at most 30 seconds' worth, projected to n. */
const fixedDeletes = Math.round(600 * scale)

const emulator = await startEmulator({ log: true })

interface Entry {
  readonly method: string
  readonly status: number
  readonly at: number
}

const seed = async (n: number): Promise<ReadonlyArray<string>> => {
  await emulator.admin("POST", "/__admin/reset")
  const seeded = await emulator.admin("POST", "/__admin/seed", { kind: "library-songs", size: n, dislikes: 1 })
  return seeded.dislikes
}
const setLimit = (limit: number | undefined) => emulator.admin("POST", "/__admin/rate-limit", { limit: limit ?? null })

const client = NodeAppleMusic.layer({
  baseUrl: emulator.url,
  developerToken: Redacted.make("emulator-developer-token"),
  userToken: Redacted.make("emulator-user-token"),
  rate: Infinity
})

type Client = "unrate" | "fixed" | "retryTransient"
const clients: ReadonlyArray<Client> = ["unrate", "fixed", "retryTransient"]
const names: Record<Client, string> = {
  unrate: "unrate, defaults (from 20 req/s, probing)",
  fixed: "unrate fixed at 20 req/s (before)",
  retryTransient: "HttpClient.retryTransient"
}

const targets = (ids: ReadonlyArray<string>) =>
  Stream.fromIterable(ids).pipe(Stream.map((id) => ({ kind: "library-songs" as const, id })))

/** Runs one client over the ids, stopping after `maxSeconds`; answers the limiter's final and peak rate. */
const runClient = (name: Client, ids: ReadonlyArray<string>, maxSeconds: number) => {
  const stop = Effect.sleep(Duration.seconds(maxSeconds))
  if (name !== "retryTransient") {
    const rate = name === "unrate" ? { initialRate: 20 } : { rate: 20, fixedRate: true }
    return Effect.runPromise(
      Batch.run(targets(ids), { concurrency, ...rate, stop }).pipe(
        Effect.map((summary) => summary.rate),
        Effect.provide(client)
      )
    )
  }
  return Effect.runPromise(
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
      return undefined
    }).pipe(Effect.raceFirst(Effect.as(stop, undefined)), Effect.provide(NodeHttpClient.layerUndici))
  )
}

/** Deleted (204) per whole second of the run, from the emulator's log. */
const perSecond = (entries: ReadonlyArray<Entry>, start: number): Array<number> => {
  const buckets: Array<number> = []
  for (const entry of entries) {
    if (entry.method !== "DELETE" || entry.status !== 204) continue
    const second = Math.floor((entry.at - start) / 1000)
    while (buckets.length <= second) buckets.push(0)
    buckets[second]!++
  }
  return buckets
}

interface Measured {
  readonly deleted: number
  readonly seconds: number
  readonly whole: number
  readonly secondHalf: number
  readonly limited: number
  readonly toNinety: number | undefined
  readonly peak: number
  readonly rate: Batch.RateSummary | undefined
}

const measure = async (name: Client, limit: number | undefined, n: number): Promise<Measured> => {
  const ids = await seed(n)
  await setLimit(limit)
  const started = Date.now()
  const maxSeconds = (limit === undefined ? 60 : n / Math.min(limit, name === "fixed" ? 20 : limit) * 3) + 20
  const rate = await runClient(name, ids, maxSeconds)
  const seconds = (Date.now() - started) / 1000
  const entries: ReadonlyArray<Entry> = (await emulator.admin("GET", "/__admin/log")).log
  const deletes = entries.filter((entry) => entry.method === "DELETE" && entry.status === 204)
  const first = entries[0]?.at ?? started
  const middle = first + seconds * 500
  const inSecondHalf = deletes.filter((entry) => entry.at >= middle).length
  const buckets = perSecond(entries, first)
  const target = limit === undefined ? undefined : 0.9 * limit
  const reached = target === undefined ? -1 : buckets.findIndex((count) => count >= target)
  return {
    deleted: deletes.length,
    seconds,
    whole: deletes.length / seconds,
    secondHalf: inSecondHalf / (seconds / 2),
    limited: entries.filter((entry) => entry.status === 429).length / Math.max(1, entries.length),
    toNinety: reached < 0 ? undefined : reached + 1,
    peak: Math.max(0, ...buckets),
    rate
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`
const ofR = (x: number, limit: number | undefined) =>
  limit === undefined ? `${Math.round(x)}/s` : (x / limit).toFixed(2)

const rows: Array<string> = []
for (const limit of limits) {
  const n = deletesAt(limit)
  const results = new Map<Client, Measured>()
  for (const name of clients) {
    const m = await measure(name, limit, name === "fixed" ? Math.min(n, fixedDeletes) : n)
    results.set(name, m)
  }
  const ours = results.get("unrate")!
  const fixed = results.get("fixed")!
  const plain = results.get("retryTransient")!
  const projectedFixed = n / fixed.whole
  const row = `| ${limit ?? "none"} | ${n.toLocaleString("en")} | ${ofR(ours.whole, limit)} | ${
    ofR(ours.secondHalf, limit)
  } | ${pct(ours.limited)} | ${ours.toNinety === undefined ? "-" : `${ours.toNinety} s`} | ${
    ours.rate === undefined ? "-" : `${Math.round(ours.rate.final)} / ${Math.round(ours.rate.peak)}`
  } | ${ours.seconds.toFixed(1)} s (${ours.deleted.toLocaleString("en")}) | ${projectedFixed.toFixed(1)} s${
    fixed.deleted < n ? "*" : ""
  } | ${plain.seconds.toFixed(1)} s (${plain.deleted.toLocaleString("en")}, ${ofR(plain.whole, limit)}, ${
    pct(plain.limited)
  } 429) |`
  rows.push(row)
  console.log(row)
}

// A limit that changes mid-run: 200, then 50, then 200 again.
const phase = quick ? 10 : 20
const schedule: ReadonlyArray<number> = [200, 50, 200]
const timelines = new Map<Client, Array<number>>()
for (const name of clients) {
  const ids = await seed(200 * phase * 3)
  await setLimit(schedule[0])
  const timers = schedule.slice(1).map((limit, i) => setTimeout(() => void setLimit(limit), (i + 1) * phase * 1000))
  const started = Date.now()
  await runClient(name, ids, phase * 3)
  timers.forEach(clearTimeout)
  const entries: ReadonlyArray<Entry> = (await emulator.admin("GET", "/__admin/log")).log
  timelines.set(name, perSecond(entries, started).slice(0, phase * 3))
}
await emulator.stop()

const limitAt = (second: number) => schedule[Math.min(schedule.length - 1, Math.floor(second / phase))]!
/** Seconds after each change until the achieved rate is within 10% of the new limit (and stays there a second). */
const follow = (series: ReadonlyArray<number>) =>
  [phase, 2 * phase].map((change) => {
    for (let s = change; s < change + phase - 1; s++) {
      const near = (x: number) => Math.abs(x - limitAt(s)) <= 0.1 * limitAt(s)
      if (near(series[s] ?? 0) && near(series[s + 1] ?? 0)) return `${s - change + 1} s`
    }
    return `> ${phase} s`
  })
const followRows = clients.map((name) => {
  const series = timelines.get(name)!
  const [down, up] = follow(series)
  const mean = (from: number, to: number) => series.slice(from, to).reduce((a, b) => a + b, 0) / (to - from)
  return `| ${names[name]} | ${down} | ${up} | ${Math.round(mean(phase + 5, 2 * phase))} | ${
    Math.round(mean(2 * phase + 5, 3 * phase))
  } |`
})
console.log(followRows.join("\n"))

const svg = svgChart({
  seconds: phase * 3,
  limit: Array.from({ length: phase * 3 }, (_, s) => limitAt(s)),
  series: clients.map((name, i) => ({
    name: names[name],
    color: ["#1f6feb", "#d97706", "#c2410c"][i]!,
    values: timelines.get(name)!
  }))
})

const section = `## Rate limits: finding the limit

Against the emulator limiting the whole team to R requests per second (1-second windows, 429 without
Retry-After beyond it, as Apple), DELETEs at concurrency ${concurrency}, every client on the same emulator
in the same run, taking turns. unrate runs at its defaults: it starts at 20 req/s and probes upward
(slow start, then CUBIC around the limit it hit), with no ceiling. "Share of R" is deletes answered 204
per second over the whole run and over its second half; "to 0.9 R" is the first whole second in which
0.9 R deletes were answered. The fixed 20 req/s column ran ${fixedDeletes.toLocaleString("en")} deletes
and is projected to the row's count (marked *): it takes n / 20 seconds whatever the server allows.
Machine: ${machine()}, shared with other builds and benchmarks while measured${
  quick ? " (quick run: a fifth of the deletes)" : ""
}.

| R (req/s) | deletes | unrate: share of R | second half | 429s | to 0.9 R | limiter final / peak (req/s) | unrate time (deleted) | fixed 20 req/s | retryTransient time (deleted, share of R, 429s) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

Goals: share of R at least 0.90 over the run and 0.95 over its second half, 429s under 5%, 0.9 R within
10 s of the start for R = 1,000.

### A limit that changes mid-run

R = 200 for ${phase} s, then 50, then 200 again; deletes answered each second by each client.

![Deletes per second under a changing limit](rate-limits.svg)

| client | within 10% of 50 after the drop | within 10% of 200 after the rise | mean after the drop (+5 s on) | mean after the rise (+5 s on) |
| --- | --- | --- | --- | --- |
${followRows.join("\n")}

Reproduce: \`pnpm --filter @unrate/bench bench:limits\` (about 10 minutes; \`--quick\` for a 2-minute
look that only prints)`

if (quick) console.log(section)
else {
  Fs.writeFileSync(Path.join(repoRoot, "docs/rate-limits.svg"), svg)
  writeSection("limits", section)
}
