/**
 * What the batch engine costs a target over `deleteRating`, without HTTP: the
 * same targets deleted from an `InMemoryRatings` store by `Effect.forEach`
 * over `deleteRating` and by `Batch.run` (no journal, and with an in-memory
 * journal), each at concurrency 32, taking turns, in this process. The client
 * has a limiter at an unlimited rate (as `bench:speed`'s has), the batch its own. CPU µs per
 * target (user + system of this process, so V8's helper threads count), medians
 * of the rounds. Over HTTP the same difference is lost in the request's own
 * spread (see the speed section); here the store answers at once.
 *
 * Run: pnpm --filter @unrate/bench bench:engine (ROUNDS=n, default 11; SECTION=0 prints without touching the docs)
 *
 * @since 0.3.0
 */
import { AppleMusicRatings, Batch, InMemoryRatings, Journal } from "@unrate/core"
import { Effect, Stream } from "effect"
import * as Os from "node:os"
import { machine, median, writeSection } from "./harness.js"

const rounds = Number(process.env.ROUNDS ?? 11)
const total = 20_000
const concurrency = 32
const ids = Array.from({ length: total }, (_, i) => `i.engine${i}`)
const targets = Stream.fromIterable(ids).pipe(Stream.map((id): Batch.Target => ({ kind: "library-songs", id })))
const options = { concurrency, rate: Infinity, fixedRate: true } as const

const ways: Record<string, Effect.Effect<unknown, unknown, AppleMusicRatings.AppleMusicRatings>> = {
  "`Effect.forEach` over `deleteRating`": Effect.forEach(
    ids,
    (id) => AppleMusicRatings.deleteRating("library-songs", id),
    { concurrency, discard: true }
  ),
  "`Batch.run`, no journal": Batch.run(targets, options),
  "`Batch.run`, `Journal.memory`": Effect.flatMap(
    Journal.memory(),
    (journal) => Batch.run(targets, { ...options, journal })
  )
}

/** A freshly seeded store's service, with a client limiter at an unlimited rate (as `bench:speed`'s client has). */
const seeded = Effect.gen(function*() {
  const store = yield* InMemoryRatings.makeStore({ log: false })
  yield* store.seed(ids.map((id) => ["library-songs", id, -1] as const))
  return yield* InMemoryRatings.makeService(store, { rate: Infinity })
})

/** CPU µs per target of one run on a freshly seeded store (the seeding is not measured). */
const measure = async (way: Effect.Effect<unknown, unknown, AppleMusicRatings.AppleMusicRatings>) => {
  const program = Effect.provideService(way, AppleMusicRatings.AppleMusicRatings, await Effect.runPromise(seeded))
  const cpu = process.cpuUsage()
  await Effect.runPromise(program)
  const used = process.cpuUsage(cpu)
  return (used.user + used.system) / total
}

const loadAtStart = Os.loadavg()[0]!
const names = Object.keys(ways)
const runs = new Map<string, Array<number>>(names.map((name) => [name, []]))
for (const name of names) await measure(ways[name]!)
for (let round = 0; round < rounds; round++) {
  for (const name of names) runs.get(name)!.push(await measure(ways[name]!))
}

// Each round's ways ran back to back, under the same load: the difference is taken round by round.
const baseRuns = runs.get(names[0]!)!
const rows = names.map((name) => {
  const all = runs.get(name)!
  const over = name === names[0] ? "" : median(all.map((cpu, round) => cpu - baseRuns[round]!)).toFixed(1)
  return `| ${name} | ${median(all).toFixed(1)} | ${over} | ${Math.min(...all).toFixed(1)}–${
    Math.max(...all).toFixed(1)
  } |`
})

const section = `## The engine without HTTP

${total.toLocaleString("en")} targets deleted from an \`InMemoryRatings\` store at concurrency ${concurrency}, the three
ways taking turns in one process, ${rounds} round(s) after one warm-up each. The client has a limiter at an unlimited
rate (as the speed section's client has), the batch its own (\`rate: Infinity\`, \`fixedRate\`). CPU µs per target
(user + system, V8's helper threads included): medians and the range of the rounds; the cost over \`deleteRating\` is
the median of the rounds' differences (the ways of one round ran back to back, under the same load). Target: the
engine (\`Batch.run\` without a journal) at most 10 µs a target over \`deleteRating\`. Machine: ${machine()}; load
average (1 minute) ${loadAtStart.toFixed(1)} at the start and ${Os.loadavg()[0]!.toFixed(1)} at the end.

| way | CPU µs per target | over \`deleteRating\` | range |
| --- | --- | --- | --- |
${rows.join("\n")}

Reproduce: \`pnpm --filter @unrate/bench bench:engine\``
console.log(section)
if (process.env.SECTION !== "0") writeSection("engine", section)
