// Bundles the `unrate` bin into dist/bin.js (run after `tsc -b`, which builds the library modules):
// one ESM file with everything it needs (effect, @effect/*, @unrate/*, cli-progress), and the
// commands in chunks it imports only when a command runs, so help, --version and usage errors load
// a fraction of the code. esbuild, not tsdown: it is already in the tree (tsx and vitest use it),
// splits ESM on dynamic import(), and compiles the workspace's TypeScript sources as they are.
import * as esbuild from "esbuild"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Url from "node:url"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const dist = Path.join(here, "dist")
const { version } = JSON.parse(Fs.readFileSync(Path.join(here, "package.json"), "utf8"))

Fs.rmSync(Path.join(dist, "chunks"), { recursive: true, force: true })
Fs.rmSync(Path.join(dist, "bin.js.map"), { force: true })
const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { bin: "src/bin.ts" },
  outdir: dist,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  legalComments: "none",
  metafile: true,
  define: { __UNRATE_VERSION__: JSON.stringify(version) },
  // cli-progress is CommonJS and calls require(); an ESM bundle has none of its own.
  banner: {
    js: "import{createRequire as __unrateRequire}from\"node:module\";const require=__unrateRequire(import.meta.url);"
  },
  logLevel: "warning"
})
const outputs = Object.entries(result.metafile.outputs)
const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0)
console.log(`bundled the unrate bin: ${outputs.length} files, ${(bytes / 1e6).toFixed(1)} MB`)
