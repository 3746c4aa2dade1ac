import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"

const finished: unique symbol = Symbol("finished")

/**
 * Runs `work` on every element with `concurrency` workers pulling from a small
 * queue: memory stays bounded by the concurrency, and (unlike a fiber per
 * element) the cost per element stays small. A failing source lets the
 * workers finish what they took, then fails.
 *
 * @internal
 */
export const workers = <A, E, R>(
  source: Stream.Stream<A, E, R>,
  concurrency: number,
  work: (a: A) => Effect.Effect<void>
): Effect.Effect<void, E, R> =>
  Effect.gen(function*() {
    const queue = yield* Queue.bounded<A | typeof finished>(concurrency * 2)
    const worker: Effect.Effect<void> = Effect.gen(function*() {
      while (true) {
        const item = yield* Queue.take(queue)
        if (item === finished) return
        yield* work(item)
      }
    })
    const fibers = yield* Effect.forEach(Array.from({ length: concurrency }), () => Effect.fork(worker))
    const fed = yield* Effect.exit(Stream.runForEach(source, (item) => Queue.offer(queue, item)))
    for (let i = 0; i < concurrency; i++) yield* Queue.offer(queue, finished)
    yield* Fiber.joinAll(fibers)
    return yield* fed
  })
