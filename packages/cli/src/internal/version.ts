import { createRequire } from "node:module"

declare const __UNRATE_VERSION__: string | undefined

/**
 * The version in the package's `package.json`: put in by the bundler when it builds the bin, read from
 * the file (two levels above `src/internal/` and `dist/internal/`) otherwise. @internal
 */
export const packageVersion: string = typeof __UNRATE_VERSION__ === "string"
  ? __UNRATE_VERSION__
  : createRequire(import.meta.url)("../../package.json").version
