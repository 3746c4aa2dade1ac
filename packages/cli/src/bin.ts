#!/usr/bin/env node
/**
 * The `unrate` executable.
 *
 * A batch allocates many short-lived objects; with V8's default heap growth
 * (the old generation let grow to several times what survived the last full
 * collection) and a young generation that grows to 16 MB a semi-space, the
 * heap of a million-id batch swells to about 190 MB of mostly garbage. The
 * old generation growing by only 10 % over what survives, and the young one
 * kept at its starting size, hold it near 125 MB, at 13–26 % more CPU time
 * on a dry run (`pnpm --filter @unrate/bench bench:memory-flags`) and 10–25 %
 * on real deletes without a rate limit (`bench:speed cli cli-parts`), which a
 * rate-limited run never notices. Only flags V8 reads as it goes work here:
 * the semi-space's size is fixed when the heap is made, before this runs
 * (`--max-semi-space-size=1`, set here before, did nothing; what kept the heap
 * small then was `--optimize-for-size`, at twice this CPU cost). The flags are
 * set before the command is loaded, and only for batches.
 *
 * @since 0.1.0
 */
import * as V8 from "node:v8"

// Only batches need it; everything else starts faster with V8's defaults.
if (process.argv.slice(2).some((arg) => ["delete", "sweep", "restore", "demo"].includes(arg))) {
  V8.setFlagsFromString("--heap-growing-percent=10")
  V8.setFlagsFromString("--semi-space-growth-factor=1")
}

const { main } = await import("./Cli.js")
main(process.argv)
