/**
 * Shared pieces of the benchmarks: an emulator in a child process, a bare
 * undici load loop, percentiles and the machine's description.
 *
 * @since 0.1.0
 */
import { NodeAppleMusic } from "@unrate/platform"
import * as Redacted from "effect/Redacted"
import * as Esbuild from "esbuild"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Url from "node:url"
import { Pool } from "undici"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
export const repoRoot = Path.resolve(here, "../../..")
const tsx = Path.join(repoRoot, "node_modules/.bin/tsx")

export interface ExternalEmulator {
  readonly url: string
  readonly admin: (method: string, path: string, body?: unknown) => Promise<any>
  readonly stop: () => Promise<void>
}

/** Starts the emulator in its own process so load and server do not share an event loop. */
export const startEmulator = (options: Record<string, unknown> = {}): Promise<ExternalEmulator> =>
  new Promise((resolve, reject) => {
    const child = ChildProcess.spawn(tsx, [Path.join(here, "emulatorServer.ts"), JSON.stringify(options)], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let buffer = ""
    child.once("error", reject)
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString()
      const line = buffer.split("\n")[0]
      if (buffer.includes("\n") && line !== undefined) {
        child.stdout.removeAllListeners("data")
        const url = line.trim()
        resolve({
          url,
          admin: async (method, path, body) => {
            const response = await fetch(`${url}${path}`, {
              method,
              ...(body === undefined
                ? {}
                : { body: JSON.stringify(body), headers: { "content-type": "application/json" } })
            })
            const text = await response.text()
            return text === "" ? undefined : JSON.parse(text)
          },
          stop: () =>
            new Promise((done) => {
              child.once("exit", () => done())
              child.kill("SIGTERM")
            })
        })
      }
    })
  })

export const headers = {
  authorization: "Bearer emulator-developer-token",
  "music-user-token": "emulator-user-token",
  accept: "application/json"
}

/** DELETEs every id with a bare undici pool at the given concurrency; returns latencies in ms. */
export const bareDeletes = async (url: string, ids: ReadonlyArray<string>, concurrency: number) => {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 })
  const latencies: Array<number> = []
  let next = 0
  const statuses = new Map<number, number>()
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!
      const started = performance.now()
      const response = await pool.request({ method: "DELETE", path: `/v1/me/ratings/library-songs/${id}`, headers })
      await response.body.dump()
      latencies.push(performance.now() - started)
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - started) / 1000
  await pool.close()
  return { seconds, latencies, statuses }
}

export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export const median = (values: ReadonlyArray<number>): number => percentile(values, 50)

export const machine = (): string =>
  `${Os.cpus().length} cores (${Os.cpus()[0]?.model.trim() ?? "unknown"}), ${
    Math.round(Os.totalmem() / 2 ** 30)
  } GiB, Node ${process.version}`

/** Replaces the section between `<!-- name:start -->` and `<!-- name:end -->` in docs/benchmarks.md. */
export const writeSection = (name: string, content: string): void => {
  const file = Path.join(repoRoot, "docs/benchmarks.md")
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const current = Fs.existsSync(file) ? Fs.readFileSync(file, "utf8") : "# Benchmarks\n"
  const block = `${start}\n${content.trim()}\n${end}`
  const next = current.includes(start)
    ? current.replace(new RegExp(`${start}[\\s\\S]*?${end}`), block)
    : `${current.trimEnd()}\n\n${block}\n`
  Fs.writeFileSync(file, next)
}

/** Empties the emulator's library and seeds `n` disliked songs: the ids to delete. */
export const seedDislikes = async (emulator: ExternalEmulator, n: number): Promise<ReadonlyArray<string>> => {
  await emulator.admin("POST", "/__admin/reset")
  return (await emulator.admin("POST", "/__admin/seed", { kind: "library-songs", size: n, dislikes: 1 })).dislikes
}

/** unrate's Node client against the external emulator, with no rate limit of its own. */
export const unlimitedClient = (url: string) =>
  NodeAppleMusic.layer({
    baseUrl: url,
    developerToken: Redacted.make("emulator-developer-token"),
    userToken: Redacted.make("emulator-user-token"),
    rate: Infinity
  })

/**
 * Bundles one entry into one ESM file for plain `node` (no TypeScript loader in
 * the measured process; not minified, so profiles name functions). `require`
 * is named apart from the sources' own `createRequire` imports.
 */
export const bundleTo = (entry: string, outfile: string) =>
  Esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    logLevel: "warning",
    banner: {
      js:
        "import { createRequire as bundleRequire } from 'node:module'; const require = bundleRequire(import.meta.url);"
    }
  })

/** Bundles the command as it ships under packages/cli/build/bench; returns its path. */
export const bundleCli = async (name: string): Promise<string> => {
  const outfile = Path.join(repoRoot, `packages/cli/build/bench/${name}.mjs`)
  await bundleTo(Path.join(repoRoot, "packages/cli/src/bin.ts"), outfile)
  return outfile
}

/** The environment the command needs to talk to the external emulator. */
export const cliEnv = (url: string): NodeJS.ProcessEnv => ({
  ...process.env,
  APPLE_MUSIC_BASE_URL: url,
  APPLE_MUSIC_DEVELOPER_TOKEN: "emulator-developer-token",
  APPLE_MUSIC_USER_TOKEN: "emulator-user-token"
})
