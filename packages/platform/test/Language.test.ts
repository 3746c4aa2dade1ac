import { assert, describe, it } from "@effect/vitest"
import { AppleMusicRatings, Batch, Journal, RetryPolicy } from "@unrate/core"
import { Emulator } from "@unrate/emulator"
import { AppleMusicClient, NodeAppleMusic } from "@unrate/platform"
import { Chunk, Effect, Layer, Redacted, Stream } from "effect"
import { json, mockClient } from "./mockClient.js"

// Apple's `l` parameter must reach the wire on every request a batch sends: lookups, DELETEs, library pages
// (the first one and every page followed through `next`) and restore's PUTs. Asserted on the raw paths and
// queries the emulator received.

const language = "en-GB"

const client = (emulator: Emulator.Emulator) =>
  NodeAppleMusic.layer({
    baseUrl: emulator.url,
    developerToken: Redacted.make(emulator.developerToken),
    userToken: Redacted.make(emulator.userToken),
    retry: RetryPolicy.never,
    rate: Infinity
  })

const songs = (ids: ReadonlyArray<string>) =>
  Stream.fromIterable(ids).pipe(Stream.map((id): Batch.Target => ({ kind: "library-songs", id })))

const ratingsRoot = "/v1/me/ratings/library-songs"

const lookupPath = (ids: ReadonlyArray<string>) => `${ratingsRoot}?ids=${ids.join("%2C")}&l=${language}`

const logOf = (emulator: Emulator.Emulator, method: string) =>
  Effect.map(emulator.requestLog, (log) => log.filter((entry) => entry.method === method).map((entry) => entry.path))

describe("Language (Apple's l parameter) over HTTP", () => {
  it.scopedLive("Batch.run with a journal sends l on the GET ?ids= lookups and on every DELETE", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 120, dislikes: 1 })
      const ids = [...seeded.dislikes, "i.missing0", "i.missing1"]
      const journal = yield* Journal.memory()
      const summary = yield* Batch.run(songs(ids), { journal, language, concurrency: 4 }).pipe(
        Effect.provide(client(emulator))
      )
      assert.deepStrictEqual([summary.deleted, summary.absent, summary.failed], [120, 2, 0])
      assert.deepStrictEqual(yield* logOf(emulator, "GET"), [lookupPath(ids.slice(0, 100)), lookupPath(ids.slice(100))])
      assert.deepStrictEqual(
        [...(yield* logOf(emulator, "DELETE"))].sort(),
        seeded.dislikes.map((id) => `${ratingsRoot}/${id}?l=${language}`).sort()
      )
    }))

  it.scopedLive("Batch.sweep sends l on the first library page, on every page followed through next, and on lookups", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({
        library: [{ kind: "library-songs", size: 250, dislikes: 0.2, likes: 0.2 }]
      })
      const items = yield* Effect.map(
        emulator.store.ratings,
        (ratings) => new Map(ratings.map((rating) => [rating.id, rating.value]))
      )
      const summary = yield* Batch.sweep("library-songs", { value: "dislike", language }).pipe(
        Effect.provide(client(emulator))
      )
      assert.deepStrictEqual([summary.scanned, summary.matched, summary.deleted], [250, 50, 50])
      const gets = yield* logOf(emulator, "GET")
      assert.deepStrictEqual(gets.filter((path) => path.startsWith("/v1/me/library/")), [
        `/v1/me/library/songs?limit=100&l=${language}`,
        `/v1/me/library/songs?offset=100&limit=100&l=${language}`,
        `/v1/me/library/songs?offset=200&limit=100&l=${language}`
      ])
      const lookups = gets.filter((path) => path.startsWith(ratingsRoot))
      assert.strictEqual(lookups.length, 3)
      for (const path of lookups) assert.match(path, new RegExp(`^${ratingsRoot}\\?ids=[^&]+&l=${language}$`))
      const deletes = yield* logOf(emulator, "DELETE")
      assert.strictEqual(deletes.length, 50)
      for (const path of deletes) {
        const id = path.slice(ratingsRoot.length + 1).split("?")[0]!
        assert.strictEqual(items.get(id), -1, path)
        assert.strictEqual(path, `${ratingsRoot}/${id}?l=${language}`)
      }
    }))

  it.scopedLive("Batch.restore sends l on every PUT", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const journal = yield* Journal.memory([
        { outcome: "deleted", kind: "library-songs", id: "i.a", value: -1, at: "2025-01-01T00:00:00.000Z" },
        { outcome: "deleted", kind: "library-songs", id: "i.b", value: 1, at: "2025-01-01T00:00:00.000Z" }
      ])
      const summary = yield* Batch.restore(journal, { language, concurrency: 1 }).pipe(
        Effect.provide(client(emulator))
      )
      assert.deepStrictEqual([summary.restored, summary.failed], [2, 0])
      assert.deepStrictEqual(yield* logOf(emulator, "PUT"), [
        `${ratingsRoot}/i.a?l=${language}`,
        `${ratingsRoot}/i.b?l=${language}`
      ])
      assert.strictEqual(yield* emulator.store.lookup("library-songs", "i.a"), -1)
      assert.strictEqual(yield* emulator.store.lookup("library-songs", "i.b"), 1)
    }))

  it.effect("a next page that carries its own l keeps it (one l, never two); one without l gets the batch's", () => {
    const mock = mockClient((request) => {
      const offset = Number(new URL(request.url).searchParams.get("offset") ?? 0)
      const data = [{ id: `i.${offset}`, type: "library-songs" }]
      return json(
        offset === 0
          ? { data, next: "/v1/me/library/songs?offset=1&l=fr-FR" }
          : offset === 1
          ? { data, next: "/v1/me/library/songs?offset=2" }
          : { data }
      )
    })
    const layer = AppleMusicClient.layer({
      developerToken: Redacted.make("dev"),
      userToken: Redacted.make("user"),
      retry: RetryPolicy.never,
      rate: Infinity
    }).pipe(Layer.provide(mock.layer))
    return Effect.gen(function*() {
      const items = yield* Stream.runCollect(AppleMusicRatings.listLibrary("library-songs", { language }))
      assert.strictEqual(Chunk.size(items), 3)
      assert.deepStrictEqual(mock.requests.map((request) => request.url), [
        `https://api.music.apple.com/v1/me/library/songs?limit=100&l=${language}`,
        "https://api.music.apple.com/v1/me/library/songs?offset=1&l=fr-FR&limit=100",
        `https://api.music.apple.com/v1/me/library/songs?offset=2&limit=100&l=${language}`
      ])
    }).pipe(Effect.provide(layer))
  })
})
