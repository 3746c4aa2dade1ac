#!/usr/bin/env node
/**
 * The `unrate` executable.
 *
 * A batch allocates many short-lived objects; with V8's default heap growth
 * (the old generation let grow to several times what survived the last full
 * collection) the heap of a million-id batch swells to 180–210 MB of mostly
 * garbage. The old generation growing by only 10 % over what survives holds
 * it near 140 MB (`pnpm --filter @unrate/bench bench:memory-flags`), at up to
 * a third more CPU on a dry run and none measurable on real deletes; V8 reads
 * this flag as it goes. The young generation's size
 * is left alone: keeping it at its starting size (`--semi-space-growth-factor=1`)
 * saved another 15 MB but cost 15–25 % more CPU on real deletes, and the
 * semi-space's size flags are read only when the heap is made, before this
 * runs. The flag is set before the command is loaded, and only for batches.
 *
 * @since 0.1.0
 */
import * as V8 from "node:v8"

// Only batches need it; everything else starts with V8's defaults.
if (process.argv.slice(2).some((arg) => ["delete", "sweep", "restore", "demo"].includes(arg))) {
  V8.setFlagsFromString("--heap-growing-percent=10")
}

const { main } = await import("./Cli.js")
main(process.argv)
