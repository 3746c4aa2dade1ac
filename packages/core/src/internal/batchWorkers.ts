import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"

const finished: unique symbol = Symbol("finished")

/**
 * Runs `work` on every element with `concurrency` workers pulling from a small
 * queue: memory stays bounded by the concurrency, and (unlike a fiber per
 * element) the cost per element stays small. A failing source lets the
 * workers finish what they took, then fails. A worker that dies (a defect)
 * interrupts the other workers and the source: the defect is the result,
 * instead of a feeder blocked forever on a queue nobody takes from.
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
    // Whole chunks, no bigger than the queue: cheaper than an offer per element, and a stop still comes through soon.
    const feed = Effect.exit(
      Stream.runForEachChunk(Stream.rechunk(source, concurrency), (chunk) => Queue.offerAll(queue, chunk))
    ).pipe(
      Effect.tap(() => Queue.offerAll(queue, Array.from({ length: concurrency }, () => finished)))
    )
    const pool = Effect.all(Array.from({ length: concurrency }, () => worker), {
      concurrency: "unbounded",
      discard: true
    })
    const [fed] = yield* Effect.all([feed, pool], { concurrency: 2 })
    return yield* fed
  })
