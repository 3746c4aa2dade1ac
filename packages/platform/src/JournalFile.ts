/**
 * A journal as a JSON Lines file: one entry per line, readable with `jq`,
 * created with mode 0600, each entry written through as its outcome lands.
 * A file cut off mid-line by a crash is read (and continued) from its last
 * whole line.
 *
 * @example
 * ```ts
 * import { Batch } from "@unrate/core"
 * import { JournalFile } from "@unrate/platform"
 * import { Effect, Stream } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const journal = yield* JournalFile.make("clean-up.jsonl")
 *   return yield* Batch.run(Stream.make({ kind: "library-songs" as const, id: "i.a" }), { journal })
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Journal from "@unrate/core/Journal"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

const encodeEntry = Schema.encodeSync(Journal.Entry)
const decodeEntry = Schema.decodeUnknownEither(Schema.parseJson(Journal.Entry))

/**
 * Opens (or creates, mode 0600) a journal file for appending. The file stays
 * open until the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  path: string
): Effect.Effect<Journal.Journal, Journal.JournalError, FileSystem.FileSystem | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const fail = (reason: string) => new Journal.JournalError({ path, reason })
    const file = yield* Effect.mapError(
      fs.open(path, { flag: "a+", mode: 0o600 }),
      (error) => fail(`cannot be opened for appending (${error.message})`)
    )
    yield* Effect.mapError(fs.chmod(path, 0o600), (error) => fail(`cannot be made private (${error.message})`))
    yield* repairTail(file, fail)
    const lock = yield* Effect.makeSemaphore(1)
    const encoder = new TextEncoder()
    const entries: Stream.Stream<Journal.Entry, Journal.JournalError> = fs.stream(path).pipe(
      Stream.mapError((error) => fail(`cannot be read (${error.message})`)),
      Stream.decodeText(),
      Stream.splitLines,
      Stream.zipWithIndex,
      Stream.filter(([line]) => line.trim() !== ""),
      Stream.mapEffect(([line, index]) => {
        const decoded = decodeEntry(line)
        return decoded._tag === "Right"
          ? Effect.succeed(decoded.right)
          : Effect.fail(fail(`line ${index + 1} is not a journal entry; was the file written by unrate?`))
      })
    )
    // Group commit: whoever holds the lock writes every line waiting, so each append still returns only
    // once its own line is written, but concurrent appends share one write.
    const pending: Array<string> = []
    const flush = lock.withPermits(1)(Effect.suspend(() => {
      if (pending.length === 0) return Effect.void
      const text = pending.join("")
      pending.length = 0
      return Effect.mapError(
        file.writeAll(encoder.encode(text)),
        (error) => fail(`cannot be written (${error.message})`)
      )
    }))
    return {
      location: path,
      entries,
      append: (entry) =>
        Effect.suspend(() => {
          pending.push(`${JSON.stringify(encodeEntry(entry))}\n`)
          return flush
        })
    }
  })

/** Cuts a partial last line (a crash mid-write) so appends start on a line of their own. */
const repairTail = (
  file: FileSystem.File,
  fail: (reason: string) => Journal.JournalError
): Effect.Effect<void, Journal.JournalError> =>
  Effect.gen(function*() {
    const size = Number((yield* Effect.mapError(file.stat, (error) => fail(error.message))).size)
    if (size === 0) return
    const window = 64 * 1024
    let end = size
    while (end > 0) {
      const start = Math.max(0, end - window)
      const buffer = new Uint8Array(end - start)
      yield* file.seek(start, "start")
      yield* Effect.mapError(file.read(buffer), (error) => fail(error.message))
      const newline = buffer.lastIndexOf(10)
      if (newline === buffer.length - 1 && end === size) return
      if (newline >= 0) {
        yield* Effect.mapError(file.truncate(start + newline + 1), (error) => fail(error.message))
        return
      }
      end = start
    }
    yield* Effect.mapError(file.truncate(0), (error) => fail(error.message))
  })
