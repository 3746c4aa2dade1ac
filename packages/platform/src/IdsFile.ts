/**
 * Lists of ids, one per line: blank lines and lines starting with `#` are
 * ignored, surrounding whitespace is trimmed. Read as a stream, once, so a
 * file of a million ids costs constant memory and pipes work.
 *
 * A line longer than {@link maxLineBytes} is never held whole: it becomes a
 * short stand-in such as `AAAA…(33554432 bytes)` that no id can equal, so the
 * batch counts it invalid and a report of it stays short.
 *
 * @since 0.1.0
 */
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"

/**
 * The longest line kept as it is. Ids are at most 128 characters; the rest of
 * the room is for whitespace around them.
 *
 * @since 0.2.0
 * @category constants
 */
export const maxLineBytes = 256

/** How much of an over-long line its stand-in shows. */
const shownBytes = 32

const newline = 10
const decoder = new TextDecoder()

interface Splitter {
  /** The start of the current line, at most `maxLineBytes`. */
  readonly held: Uint8Array
  heldLength: number
  /** Bytes of the current line beyond what is held. */
  dropped: number
}

const idOf = (line: string): string | undefined => {
  const trimmed = line.trim()
  return trimmed === "" || trimmed.startsWith("#") ? undefined : trimmed
}

const endLine = (state: Splitter, into: Array<string>): void => {
  if (state.dropped === 0) {
    const id = idOf(decoder.decode(state.held.subarray(0, state.heldLength)))
    if (id !== undefined) into.push(id)
  } else {
    const start = decoder.decode(state.held.subarray(0, shownBytes)).trim()
    if (!start.startsWith("#")) into.push(`${start}…(${state.heldLength + state.dropped} bytes)`)
  }
  state.heldLength = 0
  state.dropped = 0
}

const hold = (state: Splitter, bytes: Uint8Array, from: number, to: number): void => {
  const room = Math.min(maxLineBytes - state.heldLength, to - from)
  state.held.set(bytes.subarray(from, from + room), state.heldLength)
  state.heldLength += room
  state.dropped += to - from - room
}

const split = (state: Splitter, bytes: Uint8Array): Array<string> => {
  const lines: Array<string> = []
  let from = 0
  while (from < bytes.length) {
    const end = bytes.indexOf(newline, from)
    if (end < 0) {
      hold(state, bytes, from, bytes.length)
      break
    }
    hold(state, bytes, from, end)
    endLine(state, lines)
    from = end + 1
  }
  return lines
}

/**
 * The ids in a stream of bytes, one per line (UTF-8; a `\r` before the
 * newline is trimmed with the other whitespace).
 *
 * @since 0.2.0
 * @category parsing
 */
export const fromBytes = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<string, E, R> =>
  Stream.suspend(() => {
    const state: Splitter = { held: new Uint8Array(maxLineBytes), heldLength: 0, dropped: 0 }
    return bytes.pipe(
      Stream.mapConcatChunk((chunk) => Chunk.unsafeFromArray(split(state, chunk))),
      Stream.concat(Stream.suspend(() => {
        const last: Array<string> = []
        if (state.heldLength + state.dropped > 0) endLine(state, last)
        return Stream.fromIterable(last)
      }))
    )
  })

/**
 * The ids in a stream of text, one per line.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = <E, R>(text: Stream.Stream<string, E, R>): Stream.Stream<string, E, R> =>
  fromBytes(Stream.encodeText(text))

/**
 * The ids of a file, read once from start to end without seeking, so a named
 * pipe, `/dev/stdin` or a shell's `<(…)` works as well as a regular file.
 *
 * @since 0.1.0
 * @category reading
 */
export const fromFile = (
  path: string
): Stream.Stream<string, PlatformError.PlatformError, FileSystem.FileSystem> =>
  Stream.unwrap(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    yield* fs.access(path, { readable: true })
    return fromBytes(NodeStream.fromReadable<PlatformError.PlatformError, Uint8Array>(
      () => Fs.createReadStream(path, { highWaterMark: 64 * 1024 }),
      (error) =>
        new PlatformError.SystemError({
          reason: "Unknown",
          module: "FileSystem",
          method: "readIds",
          pathOrDescriptor: path,
          description: String(error)
        })
    ))
  }))

/**
 * How many ids a regular file holds, by the rules of {@link fromFile} (an
 * over-long line counts once, as the batch will); `None` for anything that is
 * not a regular file, such as a named pipe, which must be read only once, by
 * the batch itself.
 *
 * @since 0.2.0
 * @category reading
 */
export const count = (
  path: string
): Effect.Effect<Option.Option<number>, PlatformError.PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(path)
    return info.type === "File" ? Option.some(yield* Stream.runCount(fromFile(path))) : Option.none()
  })
