import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { Service } from "../AppleMusicRatings.js"
import type { Target } from "../Batch.js"
import { key } from "../Journal.js"
import type { RatingsError } from "../RatingsError.js"
import { isAuthError } from "../RatingsError.js"
import type { RatingValue } from "../RatingValue.js"
import type { Item } from "./batchEngine.js"
import { settled } from "./batchEngine.js"
import type { State } from "./batchState.js"
import { stopWith } from "./batchState.js"

interface Found {
  readonly values: Map<string, RatingValue>
  readonly errors: Map<string, RatingsError>
}

/** Looks the targets up, one `getRatings` per kind; a stop ends a lookup waiting on the limiter at once. */
const lookUp = (
  service: Service,
  state: State,
  language: { readonly language?: string },
  targets: ReadonlyArray<Target>
): Effect.Effect<Found> =>
  Effect.gen(function*() {
    const byKind = new Map<Target["kind"], Array<Target>>()
    for (const target of targets) {
      const group = byKind.get(target.kind)
      if (group === undefined) byKind.set(target.kind, [target])
      else group.push(target)
    }
    const found: Found = { values: new Map(), errors: new Map() }
    for (const [kind, group] of byKind) {
      const answer = yield* Effect.raceFirst(
        Effect.map(Effect.either(service.getRatings(kind, group.map((target) => target.id), language)), Option.some),
        Effect.as(Deferred.await(state.control.signal), Option.none())
      )
      if (Option.isNone(answer)) break
      const result = answer.value
      if (Either.isLeft(result)) {
        const error = result.left
        if (isAuthError(error)) yield* stopWith(state.control, error._tag, error.message)
        for (const target of group) found.errors.set(key(kind, target.id), error)
      } else {
        for (const rating of result.right) found.values.set(key(kind, rating.id), rating.value)
      }
    }
    return found
  })

/**
 * Looks up the values of targets that do not carry one, 100 at a time, so the
 * journal can put them back; a target without a rating is `Absent` and never
 * sent, unless a previous run began deleting it (`begun`, with the value of its
 * intent): it is then `Deleted`, unconfirmed.
 *
 * @internal
 */
export const makeLookup = (
  service: Service,
  state: State,
  language: { readonly language?: string },
  begun: ReadonlyMap<string, RatingValue | undefined>
) =>
(chunk: Chunk.Chunk<Item>): Effect.Effect<ReadonlyArray<Item>> =>
  Effect.gen(function*() {
    const items = Chunk.toReadonlyArray(chunk)
    const unknown = items.flatMap((item) =>
      item._tag === "Pending" && item.target.value === undefined ? [item.target] : []
    )
    if (unknown.length === 0 || state.control.stopped) return items
    const found = yield* lookUp(service, state, language, unknown)
    const pending = state.control.stopped
      ? items.filter((item) => item._tag !== "Pending" || item.target.value !== undefined)
      : items
    return pending.map((item): Item => {
      if (item._tag !== "Pending" || item.target.value !== undefined) return item
      const k = key(item.target.kind, item.target.id)
      const error = found.errors.get(k)
      if (error !== undefined) return settled({ _tag: "Failed", target: item.target, error })
      const value = found.values.get(k)
      if (value !== undefined) return { _tag: "Pending", target: { ...item.target, value } }
      return begun.has(k)
        ? settled({ _tag: "Deleted", target: item.target, value: begun.get(k), confirmed: false })
        : settled({ _tag: "Absent", target: item.target })
    })
  })
