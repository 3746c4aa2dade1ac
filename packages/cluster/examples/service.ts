/**
 * A small clean-up service: POST a clean-up, GET its status, cancel it, undo it.
 * It runs on the single-runner default (one SQLite file) against the emulator, so
 * it needs nothing but Node:
 *
 *   pnpm --filter @unrate/cluster example
 *   curl -X POST localhost:8787/cleanups -d '{"key":"k1","userId":"alice","task":{"_tag":"Sweep","kind":"library-songs","value":"dislike"}}'
 *   curl localhost:8787/cleanups/k1
 *   curl -X POST localhost:8787/cleanups/k1/undo
 *   curl localhost:8787/cleanups/k1/undo
 *
 * A real service gives `team` its Apple developer token (or signing material)
 * and `UserTokens` a lookup of the music user tokens the app keeps.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Emulator } from "@unrate/emulator"
import { Effect, Layer, Redacted, Schema } from "effect"
import * as Http from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { Cleanup, UnrateCluster, UserTokens } from "../src/index.js"

const port = Number(process.env.PORT ?? 8787)
const filename = process.env.UNRATE_SQLITE ?? Path.join(Os.tmpdir(), "unrate-example.sqlite")

const Key = Schema.Struct({ key: Schema.String })

const statusResponse = <E, R>(effect: Effect.Effect<Cleanup.Status, E, R>) =>
  Effect.matchEffect(effect, {
    onFailure: (error) =>
      HttpServerResponse.json(
        { error: (error as { _tag?: string })._tag ?? "Error" },
        { status: (error as { _tag?: string })._tag === "CleanupNotFound" ? 404 : 409 }
      ),
    onSuccess: (status) => HttpServerResponse.json(status)
  })

const router = HttpRouter.empty.pipe(
  HttpRouter.post(
    "/cleanups",
    Effect.flatMap(
      HttpServerRequest.schemaBodyJson(Cleanup.Payload),
      (payload) =>
        Effect.flatMap(
          Cleanup.start(payload),
          (executionId) => HttpServerResponse.json({ key: payload.key, executionId }, { status: 202 })
        )
    )
  ),
  HttpRouter.get(
    "/cleanups/:key",
    Effect.flatMap(HttpRouter.schemaPathParams(Key), ({ key }) => statusResponse(Cleanup.status(key)))
  ),
  HttpRouter.post(
    "/cleanups/:key/cancel",
    Effect.flatMap(HttpRouter.schemaPathParams(Key), ({ key }) =>
      Effect.matchEffect(Cleanup.cancel(key), {
        onFailure: () => HttpServerResponse.json({ error: "CleanupNotFound" }, { status: 404 }),
        onSuccess: () => HttpServerResponse.json({ key, cancelled: true }, { status: 202 })
      }))
  ),
  HttpRouter.post(
    "/cleanups/:key/undo",
    Effect.flatMap(HttpRouter.schemaPathParams(Key), ({ key }) =>
      Effect.matchEffect(Cleanup.undo(key), {
        onFailure: (error) => HttpServerResponse.json({ error: error._tag }, { status: 409 }),
        onSuccess: (executionId) => HttpServerResponse.json({ key, executionId }, { status: 202 })
      }))
  ),
  HttpRouter.get(
    "/cleanups/:key/undo",
    Effect.flatMap(HttpRouter.schemaPathParams(Key), ({ key }) => statusResponse(Cleanup.undoStatus(key)))
  )
)

const main = Effect.gen(function*() {
  const emulator = yield* Emulator.make({ seed: 7 })
  yield* emulator.store.seedLibrary({ kind: "library-songs", size: 2000, likes: 0.3, dislikes: 0.2 })
  const cluster = UnrateCluster.layerSingle({
    filename,
    team: { baseUrl: emulator.url, developerToken: Redacted.make(emulator.developerToken), rate: 200 }
  }).pipe(Layer.provide(UserTokens.layer(() => Effect.succeed(Redacted.make(emulator.userToken)))))
  const server = HttpServer.serve(router).pipe(
    HttpServer.withLogAddress,
    Layer.provide(cluster),
    Layer.provide(NodeHttpServer.layer(() => Http.createServer(), { port, host: "127.0.0.1" }))
  )
  yield* Effect.log(`emulator at ${emulator.url} (2,000 songs), clean-ups in ${filename}`)
  return yield* Layer.launch(server)
})

main.pipe(Effect.scoped, NodeRuntime.runMain)
