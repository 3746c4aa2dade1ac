/**
 * A set of strings kept as 64-bit fingerprints in typed arrays: 9 bytes a
 * slot, at most half the slots used, instead of a string and a hash-table
 * entry, so remembering a million targets costs about 16 MB. Two keys share a
 * fingerprint with a probability near n² / 2⁶⁵ (about 3 in 100 million for a
 * million keys). The fingerprints are spread over 256 tables that grow one at
 * a time: growing copies 1/256 of the set, never the whole set beside itself.
 *
 * @internal
 */
export class KeySet {
  private readonly tables: Array<Table | undefined> = new Array(shards)
  private live = 0

  get size(): number {
    return this.live
  }

  has(key: string): boolean {
    const [hi, lo] = fingerprint(key)
    return this.tables[hi >>> shardShift]?.has(hi, lo) ?? false
  }

  add(key: string): void {
    const [hi, lo] = fingerprint(key)
    const shard = hi >>> shardShift
    const table = this.tables[shard] ?? (this.tables[shard] = new Table())
    if (table.add(hi, lo)) this.live++
  }

  delete(key: string): void {
    const [hi, lo] = fingerprint(key)
    if (this.tables[hi >>> shardShift]?.delete(hi, lo) === true) this.live--
  }
}

const shards = 256
const shardShift = 24

/** One open-addressing table (linear probing) of fingerprints. */
class Table {
  private hi = new Uint32Array(16)
  private lo = new Uint32Array(16)
  private state = new Uint8Array(16)
  private used = 0
  private live = 0

  has(hi: number, lo: number): boolean {
    return this.state[this.find(hi, lo)] === FULL
  }

  /** True when the fingerprint was not there before. */
  add(hi: number, lo: number): boolean {
    const slot = this.find(hi, lo)
    if (this.state[slot] === FULL) return false
    if (this.state[slot] === EMPTY) this.used++
    this.hi[slot] = hi
    this.lo[slot] = lo
    this.state[slot] = FULL
    this.live++
    if (this.used * 2 > this.state.length) this.grow()
    return true
  }

  /** True when the fingerprint was there. */
  delete(hi: number, lo: number): boolean {
    const slot = this.find(hi, lo)
    if (this.state[slot] !== FULL) return false
    this.state[slot] = DELETED
    this.live--
    return true
  }

  /** The slot holding the fingerprint, else the first reusable slot on its probe path. */
  private find(hi: number, lo: number): number {
    const mask = this.state.length - 1
    let slot = (lo ^ Math.imul(hi, 0x9E3779B1)) & mask
    let reusable = -1
    while (true) {
      const state = this.state[slot]
      if (state === EMPTY) return reusable >= 0 ? reusable : slot
      if (state === DELETED) {
        if (reusable < 0) reusable = slot
      } else if (this.hi[slot] === hi && this.lo[slot] === lo) {
        return slot
      }
      slot = (slot + 1) & mask
    }
  }

  private grow(): void {
    const { hi, lo, state } = this
    const size = this.live * 4 > state.length ? state.length * 2 : state.length
    this.hi = new Uint32Array(size)
    this.lo = new Uint32Array(size)
    this.state = new Uint8Array(size)
    this.used = 0
    this.live = 0
    for (let i = 0; i < state.length; i++) {
      if (state[i] !== FULL) continue
      const slot = this.find(hi[i]!, lo[i]!)
      this.hi[slot] = hi[i]!
      this.lo[slot] = lo[i]!
      this.state[slot] = FULL
      this.used++
      this.live++
    }
  }
}

const EMPTY = 0
const FULL = 1
const DELETED = 2

/** Two independent 32-bit hashes (FNV-1a and a murmur-style mix) of the UTF-16 code units. */
const fingerprint = (key: string): [number, number] => {
  let a = 0x811C9DC5
  let b = 0x9747B28C
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5BD1E995)
    b ^= b >>> 15
  }
  a ^= a >>> 16
  a = Math.imul(a, 0x85EBCA6B)
  a ^= a >>> 13
  b = Math.imul(b ^ (b >>> 16), 0xC2B2AE35)
  b ^= b >>> 16
  return [a >>> 0, b >>> 0]
}
