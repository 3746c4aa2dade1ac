/**
 * When the command writes colour: on a terminal, never with `NO_COLOR` set (any value, as the issue
 * asks, stricter than no-color.org's "not empty") or `TERM=dumb`, always with `FORCE_COLOR` (unless it
 * is `0` or `false`, which turn it off, as for chalk and Node). `NO_COLOR` wins over `FORCE_COLOR`: a
 * person who turned colour off meant it.
 */

/** The environment variables the decision reads. @internal */
export type ColourEnv = Readonly<Record<string, string | undefined>>

const forced = (value: string | undefined) => value !== undefined && value !== "0" && value !== "false"

/** Whether to colour a stream that is (or is not) a terminal. @internal */
export const enabled = (isTTY: boolean, env: ColourEnv = process.env): boolean => {
  if (env.NO_COLOR !== undefined) return false
  if (env.FORCE_COLOR !== undefined) return forced(env.FORCE_COLOR)
  if (env.TERM === "dumb") return false
  return isTTY
}

/** Text styles, or plain text when colour is off. @internal */
export interface Styles {
  readonly bold: (text: string) => string
  readonly dim: (text: string) => string
  readonly red: (text: string) => string
  readonly green: (text: string) => string
  readonly yellow: (text: string) => string
  readonly cyan: (text: string) => string
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`

const plain = (text: string) => text

/** The styles for a stream; plain when `on` is false. @internal */
export const styles = (on: boolean): Styles =>
  on
    ? {
      bold: sgr(1, 22),
      dim: sgr(2, 22),
      red: sgr(31, 39),
      green: sgr(32, 39),
      yellow: sgr(33, 39),
      cyan: sgr(36, 39)
    }
    : { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain }

/** The styles for stdout or stderr of this process. @internal */
export const forStream = (stream: "stdout" | "stderr"): Styles => styles(enabled(process[stream].isTTY === true))

/** The width to wrap text for stdout: the terminal's, 80 when it is not one. @internal */
export const width = (): number =>
  process.stdout.isTTY === true && process.stdout.columns > 0 ? Math.min(process.stdout.columns, 120) : 80

const count = (paint: (text: string) => string) => (match: string, n: string) => n === "0" ? match : paint(match)

/**
 * A run's summary, coloured when `styles` colour: its first words bold, counts of deleted and restored
 * ratings green, of failed and invalid ones red, a stop yellow. Plain styles leave it as it is. @internal
 */
export const paintSummary = (text: string, styles: Styles): string =>
  text.replace(/^(unrate \S+(?: \S+)?:)/, (prefix) => styles.bold(prefix))
    .replace(/\b([\d,]+) (?:deleted|restored)\b/g, count(styles.green))
    .replace(/\b([\d,]+) (?:failed|invalid)\b/g, count(styles.red))
    .replace(/^stopped .*$/gm, (line) => styles.yellow(line))
