// A consumer of the packed packages: starts the packed emulator, deletes one
// rating through the Node layer, and checks the emulator no longer holds it.
import { AppleMusicRatings } from "@unrate/core"
import { Emulator } from "@unrate/emulator"
import { NodeAppleMusic } from "@unrate/platform"
import { Effect, Redacted } from "effect"

const program = Effect.gen(function*() {
  const emulator = yield* Emulator.make()
  yield* emulator.store.seed([["library-songs", "i.consumer1", -1]])
  const service = NodeAppleMusic.layer({
    baseUrl: emulator.url,
    developerToken: Redacted.make(emulator.developerToken),
    userToken: Redacted.make(emulator.userToken)
  })
  yield* AppleMusicRatings.deleteRating("library-songs", "i.consumer1").pipe(Effect.provide(service))
  const again = yield* AppleMusicRatings.deleteRating("library-songs", "i.consumer1").pipe(
    Effect.provide(service),
    Effect.flip
  )
  const left = yield* emulator.store.lookup("library-songs", "i.consumer1")
  const deletes = (yield* emulator.requestLog).filter((entry) => entry.method === "DELETE")
  if (left !== undefined || again._tag !== "NotFound") {
    return yield* Effect.die(new Error(`unexpected: left=${left} again=${again._tag}`))
  }
  if (deletes.map((entry) => entry.status).join(",") !== "204,404") {
    return yield* Effect.die(new Error(`unexpected log: ${JSON.stringify(deletes)}`))
  }
  console.log(`consumer: deleted i.consumer1 on ${emulator.url}; a second delete answered ${again._tag}`)
}).pipe(Effect.scoped)

Effect.runPromise(program).catch((error) => {
  console.error(error)
  process.exit(1)
})
