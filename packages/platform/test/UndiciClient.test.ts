import { assert, describe, it } from "@effect/vitest"
import { AppleMusicRatings } from "@unrate/core"
import { NodeAppleMusic } from "@unrate/platform"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Option, Redacted, Scope } from "effect"
import * as Http from "node:http"

/** A loopback server that never answers; tells when a request arrives and when its connection closes. */
const silentServer = Effect.gen(function*() {
  const arrived = yield* Deferred.make<void>()
  const closed = yield* Deferred.make<void>()
  const server = yield* Effect.acquireRelease(
    Effect.async<Http.Server>((resume) => {
      const server = Http.createServer((request) => {
        Deferred.unsafeDone(arrived, Effect.void)
        request.socket.on("close", () => Deferred.unsafeDone(closed, Effect.void))
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, arrived, closed }
})

describe("NodeAppleMusic's undici client", () => {
  it.scopedLive("interrupting a call while it waits for the answer aborts the request: its connection closes", () =>
    Effect.gen(function*() {
      const server = yield* silentServer
      // The client outlives the call: closing its connections at the end of a layer proves nothing.
      const client = yield* Layer.build(NodeAppleMusic.layer({
        baseUrl: server.url,
        developerToken: Redacted.make("undici-developer-token"),
        userToken: Redacted.make("undici-user-token"),
        timeout: "1 minute"
      }))
      const call = yield* AppleMusicRatings.deleteRating("library-songs", "i.waiting").pipe(
        Effect.provide(client),
        Effect.fork
      )
      yield* Deferred.await(server.arrived)
      yield* Fiber.interrupt(call)
      const closed = yield* Effect.timeout(Deferred.await(server.closed), "5 seconds").pipe(Effect.option)
      assert.isTrue(Option.isSome(closed))
    }))
  it.scoped("a client used after the scope that made it closed dies at once (UND_ERR_DESTROYED), without retrying", () =>
    Effect.gen(function*() {
      const server = yield* silentServer
      const scope = yield* Scope.make()
      const client = yield* Layer.buildWithScope(
        NodeAppleMusic.layer({
          baseUrl: server.url,
          developerToken: Redacted.make("undici-developer-token"),
          userToken: Redacted.make("undici-user-token")
        }),
        scope
      )
      yield* Scope.close(scope, Exit.void)
      // Under the test clock a retry's backoff never ends: a retried call would never come back.
      const exit = yield* Effect.exit(
        AppleMusicRatings.deleteRating("library-songs", "i.late").pipe(Effect.provide(client))
      )
      assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause), `not a defect: ${String(exit)}`)
      if (Exit.isFailure(exit)) assert.include(String(Cause.squash(exit.cause)), "UND_ERR_DESTROYED")
    }))
})
