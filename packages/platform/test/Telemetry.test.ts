import { NodeSdk } from "@effect/opentelemetry"
import { assert, describe, it } from "@effect/vitest"
import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { AggregationTemporality, InMemoryMetricExporter } from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { AppleMusicRatings, RetryPolicy } from "@unrate/core"
import { Emulator } from "@unrate/emulator"
import { NodeAppleMusic } from "@unrate/platform"
import { Effect, Layer, Redacted } from "effect"
import * as Http from "node:http"

describe("OpenTelemetry", () => {
  it.scopedLive("exports a span per call with kind, id, status and attempts, metrics, and never a token", () =>
    Effect.gen(function*() {
      const developerToken = "telemetry-developer-token-3b1f"
      const userToken = "telemetry-user-token-a77c"
      const emulator = yield* Emulator.make({ developerToken, userToken })
      yield* emulator.store.seed([["library-songs", "i.traced", -1]])
      yield* emulator.store.failNext(2, 503)

      const spans = new InMemorySpanExporter()
      const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
      const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 60_000 })
      const telemetry = NodeSdk.layer(() => ({
        resource: { serviceName: "unrate-test" },
        spanProcessor: new SimpleSpanProcessor(spans),
        metricReader: reader
      }))
      const client = NodeAppleMusic.layer({
        baseUrl: emulator.url,
        developerToken: Redacted.make(developerToken),
        userToken: Redacted.make(userToken),
        retry: RetryPolicy.make({ base: "1 millis", retries: 3 })
      })
      // The exporters forget everything when the SDK shuts down: read them while the layer is open.
      // A bare server that records what arrives: no traceparent may reach Apple.
      const seen: Array<Http.IncomingHttpHeaders> = []
      const recorder = yield* Effect.acquireRelease(
        Effect.async<Http.Server>((resume) => {
          const server = Http.createServer((request, response) => {
            seen.push(request.headers)
            response.writeHead(204).end()
          })
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
        }),
        (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
      )
      const recorded = NodeAppleMusic.layer({
        baseUrl: `http://127.0.0.1:${(recorder.address() as { port: number }).port}`,
        developerToken: Redacted.make(developerToken),
        userToken: Redacted.make(userToken)
      })
      const [finished, exported] = yield* Effect.gen(function*() {
        yield* AppleMusicRatings.deleteRating("library-songs", "i.traced")
        yield* AppleMusicRatings.deleteRating("library-songs", "i.recorded").pipe(Effect.provide(recorded))
        yield* Effect.promise(() => reader.forceFlush())
        return [
          spans.getFinishedSpans(),
          metrics.getMetrics().flatMap((resource) =>
            resource.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => metric.descriptor.name))
          )
        ] as const
      }).pipe(Effect.provide(Layer.merge(client, telemetry)))

      const call = finished.find((span) => span.name === "unrate.deleteRating")
      assert.isDefined(call)
      assert.strictEqual(call!.attributes["unrate.kind"], "library-songs")
      assert.strictEqual(call!.attributes["unrate.rating_id"], "i.traced")
      assert.strictEqual(call!.attributes["unrate.status"], 204)
      assert.strictEqual(call!.attributes["unrate.attempts"], 3)
      assert.strictEqual(
        finished.filter((span) => span.parentSpanContext?.spanId === call!.spanContext().spanId).length,
        3
      )

      assert.strictEqual(seen.length, 1)
      assert.notProperty(seen[0], "traceparent")
      assert.notProperty(seen[0], "b3")

      const everything = JSON.stringify(finished.map((span) => ({ name: span.name, attributes: span.attributes })))
      assert.notInclude(everything, developerToken)
      assert.notInclude(everything, userToken)

      assert.includeMembers(exported, ["unrate_requests_total", "unrate_retries_total", "unrate_request_duration_ms"])
    }))
})
