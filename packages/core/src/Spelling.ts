/**
 * "Did you mean …?": how far apart two words are, and which known word a
 * mistyped one most likely meant. Used for rating kinds here and for the
 * command's options and commands.
 *
 * @since 0.2.0
 */

/**
 * The edit distance of two words: insertions, deletions and substitutions
 * needed to turn one into the other.
 *
 * @example
 * ```ts
 * import { Spelling } from "@unrate/core"
 *
 * Spelling.distance("dryrun", "dry-run") // 1
 * ```
 *
 * @since 0.2.0
 * @category matching
 */
export const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

/**
 * The closest of `words` to `word`, ignoring case, if it is close enough to
 * be what was meant (at most 2 edits, or a third of the word's length).
 *
 * @example
 * ```ts
 * import { Spelling } from "@unrate/core"
 *
 * Spelling.nearest("DRY-RUN", ["dry-run", "journal"]) // "dry-run"
 * Spelling.nearest("xyz", ["dry-run", "journal"]) // undefined
 * ```
 *
 * @since 0.2.0
 * @category matching
 */
export const nearest = (word: string, words: ReadonlyArray<string>): string | undefined => {
  const lower = word.toLowerCase()
  let best: { readonly word: string; readonly distance: number } | undefined
  for (const candidate of words) {
    const d = distance(lower, candidate.toLowerCase())
    if (best === undefined || d < best.distance) best = { word: candidate, distance: d }
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(lower.length / 3)) ? best.word : undefined
}
