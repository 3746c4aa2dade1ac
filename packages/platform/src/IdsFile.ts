/**
 * Lists of ids, one per line: blank lines and lines starting with `#` are
 * ignored, surrounding whitespace is trimmed. Read as a stream, so a file of
 * a million ids costs constant memory.
 *
 * @since 0.1.0
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/**
 * The ids in a stream of text, one per line.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = <E, R>(text: Stream.Stream<string, E, R>): Stream.Stream<string, E, R> =>
  text.pipe(
    Stream.splitLines,
    Stream.map((line) => line.trim()),
    Stream.filter((line) => line !== "" && !line.startsWith("#"))
  )

/**
 * The ids of a file.
 *
 * @since 0.1.0
 * @category reading
 */
export const fromFile = (path: string): Stream.Stream<string, PlatformError, FileSystem.FileSystem> =>
  Stream.unwrap(
    Effect.map(
      FileSystem.FileSystem,
      (fs) => parse(Stream.decodeText(fs.stream(path, { chunkSize: FileSystem.KiB(4) })))
    )
  )
