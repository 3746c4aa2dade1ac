#!/usr/bin/env node
/**
 * The `unrate` executable.
 *
 * A batch allocates many short-lived objects; with V8's default young
 * generation (up to 16 MB a semi-space) and growth heuristics, the heap of a
 * million-id batch swells to about 180 MB of mostly garbage. A small young
 * generation and `--optimize-for-size` keep it near 120 MB, at 14–27% more CPU
 * time on a dry run (`pnpm --filter @unrate/bench bench:memory-flags`) and
 * about 50% on 20,000 real deletes without a rate limit (`bench:speed cli
 * cli-parts`), which a rate-limited run never notices. The flags are set before the command is
 * loaded, so they apply from the first allocation on, and only for batches.
 *
 * @since 0.1.0
 */
import * as V8 from "node:v8"

// Only batches need it; everything else starts faster with V8's defaults.
if (process.argv.slice(2).some((arg) => ["delete", "sweep", "restore", "demo"].includes(arg))) {
  V8.setFlagsFromString("--max-semi-space-size=1")
  V8.setFlagsFromString("--optimize-for-size")
}

const { main } = await import("./Cli.js")
main(process.argv)
