import { simulateEngine } from "./src/rateLimitsEngine.js"
for (const d of [10, 40, 100]) {
  const r = await simulateEngine({ limit: () => 20, deletes: d, maxMillis: 60_000 })
  console.log(d, r.done, r.sent, r.refused, r.seconds)
}
