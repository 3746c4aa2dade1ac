/** `unrate: <problem>` and where to read more: how every usage error is printed. @internal */
export const usageText = (problem: string, command: string | undefined): string =>
  `unrate: ${problem}\nsee unrate${command === undefined || command === "" ? "" : ` ${command}`} --help\n`

/** The exit code of a usage error. @internal */
export const usageExitCode = 2
