/**
 * A journal as a JSON Lines file: a header line
 * (`{"journal":"unrate","version":2,…}`), then one entry per line, readable
 * with `jq`, created with mode 0600. Every append is written and synced
 * (fsync) before it completes, concurrent appends sharing one write and one
 * sync (group commit); `appendAll` writes several entries as one (a batch
 * writes each outcome with the next intent). One run at a time: `<path>.lock` holds the pid of the process using
 * the journal; the lock of a process that is gone is taken over, and a file
 * there that is not an unrate lock is never removed. An existing file is
 * checked before anything touches it: a file that is not a journal is
 * refused, byte for byte and mode unchanged. A file cut off mid-line by a
 * crash is read (and continued) from its last whole
 * line.
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
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Journal from "@unrate/core/Journal"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { lineOf } from "./internal/journalLine.js"

const decodeEntry = Schema.decodeUnknownEither(Schema.parseJson(Journal.Entry))
const decodeHeader = Schema.decodeUnknownEither(Schema.parseJson(Journal.Header))

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /**
   * Sync (fsync) every group of appends before they complete. Default true;
   * turn it off only for benchmarks: a crash may then lose what was reported
   * as written.
   */
  readonly sync?: boolean | undefined
}

type Fail = (reason: string) => Journal.JournalError

/**
 * Opens (or creates, mode 0600, with a header line) a journal file for
 * appending, after taking its lock (`<path>.lock`, released when the scope
 * closes) and checking an existing file is a journal. Fails with a
 * `JournalError` when another live process holds the lock (the message names
 * its pid) or when the file is not a journal (it is then left untouched). A
 * lock left by a process that is gone is taken over.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  path: string,
  options: Options = {}
): Effect.Effect<Journal.Journal, Journal.JournalError, FileSystem.FileSystem | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const fail: Fail = (reason) => new Journal.JournalError({ path, reason })
    yield* lock(fs, path, fail)
    yield* validate(fs, path, fail)
    const file = yield* Effect.mapError(
      fs.open(path, { flag: "a+", mode: 0o600 }),
      (error) => fail(`cannot be opened for appending (${error.message})`)
    )
    yield* Effect.mapError(fs.chmod(path, 0o600), (error) => fail(`cannot be made private (${error.message})`))
    yield* repairTail(file, fail)
    const size = Number((yield* Effect.mapError(file.stat, (error) => fail(error.message))).size)
    const created = new Date(yield* Clock.currentTimeMillis).toISOString()
    const header: Journal.Header = { journal: "unrate", version: Journal.formatVersion, created }
    const append = yield* appender(file, options.sync ?? true, size, fail)
    if (size === 0) yield* append(`${JSON.stringify(header)}\n`)
    const journal: Journal.Journal = {
      location: path,
      entries: read(fs, path, fail),
      append: (entry) => Effect.suspend(() => append(lineOf(entry)))
    }
    // Not enumerable: a journal spread from this one keeps its own `append` for every entry.
    return Object.defineProperty(journal, "appendAll", {
      value: (entries: ReadonlyArray<Journal.Entry>) => Effect.suspend(() => append(entries.map(lineOf).join("")))
    })
  })

const isHeader = (line: string): boolean => Either.isRight(decodeHeader(line))

const read = (
  fs: FileSystem.FileSystem,
  path: string,
  fail: Fail
): Stream.Stream<Journal.Entry, Journal.JournalError> =>
  fs.stream(path).pipe(
    Stream.mapError((error) => fail(`cannot be read (${error.message})`)),
    Stream.decodeText(),
    Stream.splitLines,
    Stream.zipWithIndex,
    Stream.filter(([line, index]) => line.trim() !== "" && !(index === 0 && isHeader(line))),
    Stream.mapEffect(([line, index]) => {
      const decoded = decodeEntry(line)
      return decoded._tag === "Right"
        ? Effect.succeed(decoded.right)
        : Effect.fail(fail(`line ${index + 1} is not a journal entry; was the file written by unrate?`))
    })
  )

/**
 * Group commit: one writer fiber (living as long as the journal's scope)
 * writes every line waiting, as one write and, with `sync`, one fsync, then
 * completes the appends whose lines it held; lines appended meanwhile wait
 * for the next group. An append costs its line and a callback, not a turn
 * at a lock. A failed write is cut back off, so a later append starts on a
 * line of its own; every line it held fails. A journal that cannot be cut
 * back fails every later append.
 */
const appender = (
  file: FileSystem.File,
  sync: boolean,
  size: number,
  fail: Fail
): Effect.Effect<(line: string) => Effect.Effect<void, Journal.JournalError>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const encoder = new TextEncoder()
    let lines: Array<string> = []
    let waiting: Array<(result: Effect.Effect<void, Journal.JournalError>) => void> = []
    let wake: (() => void) | undefined
    let offset = size
    let broken: Journal.JournalError | undefined
    let closed = false
    const work = Effect.async<void>((resume) => {
      if (lines.length > 0) return resume(Effect.void)
      wake = () => resume(Effect.void)
    })
    const write = (bytes: Uint8Array): Effect.Effect<void, Journal.JournalError> =>
      (sync ? Effect.zipRight(file.writeAll(bytes), file.sync) : file.writeAll(bytes)).pipe(
        Effect.matchEffect({
          onSuccess: () => Effect.sync(() => void (offset += bytes.length)),
          onFailure: (cause: PlatformError.PlatformError) => {
            const error = fail(`cannot be written (${cause.message})`)
            return file.truncate(offset).pipe(
              Effect.catchAll(() => Effect.sync(() => void (broken = error))),
              Effect.zipRight(Effect.fail(error))
            )
          }
        })
      )
    const commit = Effect.suspend(() => {
      const group = waiting
      const bytes = encoder.encode(lines.join(""))
      lines = []
      waiting = []
      return Effect.flatMap(
        Effect.either(broken === undefined ? write(bytes) : Effect.fail(broken)),
        (result) =>
          Effect.sync(() => {
            const done = result._tag === "Right" ? Effect.void : Effect.fail(result.left)
            for (const resume of group) resume(done)
          })
      )
    })
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(work, commit)))
    // Closing the journal ends its writer; an append still waiting then fails instead of waiting forever.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        const error = fail("was closed before this entry was written")
        for (const resume of waiting) resume(Effect.fail(error))
        waiting = []
        lines = []
      })
    )
    return (line: string): Effect.Effect<void, Journal.JournalError> =>
      Effect.async<void, Journal.JournalError>((resume) => {
        if (closed) return resume(Effect.fail(fail("is closed")))
        lines.push(line)
        waiting.push(resume)
        if (wake !== undefined) {
          const awaken = wake
          wake = undefined
          awaken()
        }
      })
  })

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code === "EPERM"
  }
}

/** What an unrate lock holds: anything else in `<path>.lock` is someone else's file and is never removed. */
const LockContent = Schema.parseJson(Schema.Struct({
  unrate: Schema.Literal("journal-lock"),
  pid: Schema.Int.pipe(Schema.positive()),
  nonce: Schema.String
}))
const decodeLock = Schema.decodeUnknownOption(LockContent)

/**
 * Takes `<path>.lock` (created exclusively, holding this process's pid and a
 * nonce) for the scope; a lock whose process is gone is taken over, and the
 * lock is removed on release only while it is still this run's.
 */
const lock = (
  fs: FileSystem.FileSystem,
  path: string,
  fail: Fail
): Effect.Effect<void, Journal.JournalError, Scope.Scope> => {
  const lockPath = `${path}.lock`
  const take = (content: string): Effect.Effect<void, Journal.JournalError> =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < 3; attempt++) {
        const created = yield* Effect.either(fs.writeFileString(lockPath, content, { flag: "wx", mode: 0o600 }))
        if (Either.isRight(created)) return
        const error = created.left
        if (error._tag !== "SystemError" || error.reason !== "AlreadyExists") {
          return yield* fail(`its lock ${lockPath} cannot be created (${error.message})`)
        }
        const text = yield* Effect.orElseSucceed(fs.readFileString(lockPath), () => "")
        const held = decodeLock(text.trim())
        if (held._tag === "None") {
          return yield* fail(
            `is locked by ${lockPath}, which is not an unrate lock (or was cut short by a crash); ` +
              `remove it if no unrate uses this journal`
          )
        }
        if (isAlive(held.value.pid)) {
          return yield* fail(`is in use by process ${held.value.pid} (lock ${lockPath}); one run per journal at a time`)
        }
        yield* takeOver(fs, lockPath, text)
      }
      return yield* fail(`its lock ${lockPath} cannot be taken`)
    })
  const release = (content: string) =>
    Effect.ignore(
      Effect.flatMap(fs.readFileString(lockPath), (text) => text === content ? fs.remove(lockPath) : Effect.void)
    )
  return Effect.gen(function*() {
    const nonce = (yield* Random.nextInt).toString(36) + (yield* Clock.currentTimeMillis).toString(36)
    const content = JSON.stringify({ unrate: "journal-lock", pid: process.pid, nonce }) + "\n"
    yield* Effect.acquireRelease(take(content), () => release(content))
  })
}

/**
 * Moves a stale lock aside, and removes it only if it is still the stale one
 * read before: a lock another process took over in between is put back.
 */
const takeOver = (fs: FileSystem.FileSystem, lockPath: string, stale: string) =>
  Effect.gen(function*() {
    const aside = `${lockPath}.${process.pid}.stale`
    const moved = yield* Effect.either(fs.rename(lockPath, aside))
    if (Either.isLeft(moved)) return
    const text = yield* Effect.orElseSucceed(fs.readFileString(aside), () => "")
    if (text !== stale) yield* Effect.ignore(fs.link(aside, lockPath))
    yield* Effect.ignore(fs.remove(aside))
  })

/** Longer lines than this are not journal lines: the check stops there instead of holding them. */
const maxLine = 64 * 1024

/**
 * Reads an existing file, and writes nothing: it must be empty, or hold a
 * header and entries, one a line; only its last line may be cut off (after a
 * whole line). Anything else is not a journal.
 */
const validate = (fs: FileSystem.FileSystem, path: string, fail: Fail): Effect.Effect<void, Journal.JournalError> =>
  Effect.gen(function*() {
    if (!(yield* Effect.orElseSucceed(fs.exists(path), () => false))) return
    const decoder = new TextDecoder()
    let carry: Array<Uint8Array> = []
    let carried = 0
    let line = 0
    let whole = 0
    let size = 0
    const refuse = (why: string) => fail(`${why}; it is not a journal written by unrate and was left untouched`)
    const check = (bytes: Uint8Array): Journal.JournalError | undefined => {
      line++
      const text = decoder.decode(bytes)
      if (text.trim() === "") return undefined
      if (line === 1 && isHeader(text)) {
        const version = (JSON.parse(text) as Journal.Header).version
        if (version > Journal.formatVersion) {
          return fail(`has format version ${version}; this unrate reads up to ${Journal.formatVersion}`)
        }
      } else if (Either.isLeft(decodeEntry(text))) {
        return refuse(`line ${line} is not a journal entry`)
      }
      whole++
      return undefined
    }
    const scan = (chunk: Uint8Array): Effect.Effect<void, Journal.JournalError> => {
      let start = 0
      size += chunk.length
      for (let newline = chunk.indexOf(10); newline >= 0; newline = chunk.indexOf(10, start)) {
        const error = check(concat([...carry, chunk.subarray(start, newline)]))
        carry = []
        carried = 0
        if (error !== undefined) return Effect.fail(error)
        start = newline + 1
      }
      carry.push(chunk.slice(start))
      carried += chunk.length - start
      return carried > maxLine ? Effect.fail(refuse(`line ${line + 1} is too long`)) : Effect.void
    }
    yield* fs.stream(path).pipe(
      Stream.mapError((error) => fail(`cannot be read (${error.message})`)),
      Stream.runForEach(scan)
    )
    const tail = decoder.decode(concat(carry)).trim()
    if (size > 0 && whole === 0) return yield* refuse("it holds no journal line")
    if (tail !== "" && !tail.startsWith("{")) return yield* refuse(`line ${line + 1} is not a journal entry`)
  })

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** Cuts a partial last line (a crash mid-write) so appends start on a line of their own. */
const repairTail = (
  file: FileSystem.File,
  fail: Fail
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
