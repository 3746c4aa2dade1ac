import type { SeedOptions } from "../InMemoryRatings.js"
import type { LibraryItem } from "../LibraryItem.js"
import * as RatingId from "../RatingId.js"
import type { LibraryRatingKind, RatingKind } from "../RatingKind.js"
import { librarySegment } from "../RatingKind.js"
import type { RatingValue } from "../RatingValue.js"

/** @internal */
export class Store {
  readonly ratings = new Map<RatingKind, Map<string, RatingValue>>()
  readonly library = new Map<LibraryRatingKind, Array<LibraryItem>>()

  private bucket(kind: RatingKind): Map<string, RatingValue> {
    let bucket = this.ratings.get(kind)
    if (bucket === undefined) {
      bucket = new Map()
      this.ratings.set(kind, bucket)
    }
    return bucket
  }

  get(kind: RatingKind, id: string): RatingValue | undefined {
    return this.ratings.get(kind)?.get(id)
  }

  set(kind: RatingKind, id: string, value: RatingValue): void {
    this.bucket(kind).set(id, value)
  }

  delete(kind: RatingKind, id: string): boolean {
    return this.ratings.get(kind)?.delete(id) ?? false
  }

  addToLibrary(kind: LibraryRatingKind, items: Iterable<LibraryItem>): void {
    let list = this.library.get(kind)
    if (list === undefined) {
      list = []
      this.library.set(kind, list)
    }
    for (const item of items) list.push(item)
  }

  libraryPage(kind: LibraryRatingKind, offset: number, limit: number): {
    readonly items: ReadonlyArray<LibraryItem>
    readonly total: number
  } {
    const list = this.library.get(kind) ?? []
    return { items: list.slice(offset, offset + limit), total: list.length }
  }

  count(kind?: RatingKind): number {
    if (kind !== undefined) return this.ratings.get(kind)?.size ?? 0
    let total = 0
    for (const bucket of this.ratings.values()) total += bucket.size
    return total
  }

  clear(): void {
    this.ratings.clear()
    this.library.clear()
  }
}

/** A small seeded generator (mulberry32): the same seed, the same library. @internal */
export const random = (seed: number): () => number => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** @internal */
export const seed = (store: Store, options: SeedOptions): {
  readonly likes: ReadonlyArray<string>
  readonly dislikes: ReadonlyArray<string>
} => {
  const next = random(options.seed ?? 1)
  const size = Math.max(0, Math.floor(options.size))
  const likes = Math.round(size * Math.min(1, options.likes ?? 0))
  const dislikes = Math.min(size - likes, Math.round(size * Math.min(1, options.dislikes ?? 0)))
  const items: Array<LibraryItem> = []
  const seen = new Set<string>()
  while (items.length < size) {
    let id: string = RatingId.libraryPrefix[options.kind]
    for (let i = 0; i < 14; i++) id += alphabet[Math.floor(next() * alphabet.length)]
    if (seen.has(id)) continue
    seen.add(id)
    items.push({
      id,
      type: options.kind,
      attributes: { name: `${librarySegment(options.kind).replace(/s$/, "")} ${items.length + 1}` }
    })
  }
  const order = items.map((_, i) => i)
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  const liked = order.slice(0, likes).map((i) => items[i]!.id)
  const disliked = order.slice(likes, likes + dislikes).map((i) => items[i]!.id)
  store.addToLibrary(options.kind, items)
  for (const id of liked) store.set(options.kind, id, 1)
  for (const id of disliked) store.set(options.kind, id, -1)
  return { likes: liked, dislikes: disliked }
}
