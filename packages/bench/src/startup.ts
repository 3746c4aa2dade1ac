/**
 * How fast `unrate` starts and how much it installs: the packed `@unrate/cli` (with the tarballs of the
 * workspace packages it depends on) is installed with npm into an empty project, then `unrate --help`,
 * `unrate --version` and a usage error are timed side by side with `node -e 0`, alternating, under
 * GNU time (CPU is user + system). Medians; the installed size is `du` of node_modules.
 *
 *   pnpm --filter @unrate/bench bench:startup                 # build, measure, write docs/benchmarks.md
 *   pnpm --filter @unrate/bench bench:startup --repo DIR --no-write   # another checkout, e.g. main
 *
 * @since 0.3.0
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { machine, median, repoRoot, writeSection } from "./harness.js"

const argv = process.argv.slice(2)
const option = (name: string) => {
  const at = argv.indexOf(name)
  return at < 0 ? undefined : argv[at + 1]
}
const repo = Path.resolve(option("--repo") ?? repoRoot)
const runs = Number(option("--runs") ?? 21)
const write = !argv.includes("--no-write")
const build = !argv.includes("--no-build")

const sh = (file: string, args: ReadonlyArray<string>, cwd: string) =>
  ChildProcess.execFileSync(file, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" },
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024
  })

/** Packs the workspace packages, installs @unrate/cli with the tarballs it depends on; answers the bin. */
const install = (work: string) => {
  const packs = Path.join(work, "packs")
  const app = Path.join(work, "app")
  Fs.mkdirSync(packs)
  Fs.mkdirSync(app)
  for (const name of ["core", "emulator", "platform", "cli"]) {
    sh("pnpm", ["pack", "--pack-destination", packs], Path.join(repo, "packages", name))
  }
  const tarball = (name: string) =>
    Path.join(packs, Fs.readdirSync(packs).find((file) => file.startsWith(`unrate-${name}-`))!)
  const manifest = JSON.parse(sh("tar", ["-xzOf", tarball("cli"), "package/package.json"], work))
  const optional = manifest.peerDependenciesMeta ?? {}
  const needed = [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}).filter((name) => optional[name]?.optional !== true)
  ].filter((name) => name.startsWith("@unrate/")).map((name) => tarball(name.slice("@unrate/".length)))
  sh("npm", ["init", "-y"], app)
  sh("npm", ["install", "--no-save", tarball("cli"), ...needed], app)
  return { app, bin: Path.join(app, "node_modules/.bin/unrate") }
}

const installedBytes = (app: string) => Number(sh("du", ["-sb", "node_modules"], app).split("\t")[0])

interface Sample {
  readonly wall: number
  readonly cpu: number
}

/** One run under GNU time: wall seconds measured here, CPU (user + system) by time. */
const sample = (command: ReadonlyArray<string>, cwd: string): Sample => {
  const started = process.hrtime.bigint()
  const result = ChildProcess.spawnSync("/usr/bin/time", ["-f", "%U %S", ...command], { cwd, encoding: "utf8" })
  const wall = Number(process.hrtime.bigint() - started) / 1e9
  const [user, system] = result.stderr.trim().split("\n").at(-1)!.split(" ").map(Number)
  return { wall, cpu: user! + system! }
}

const measure = (commands: Record<string, ReadonlyArray<string>>, cwd: string) => {
  const samples: Record<string, Array<Sample>> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]))
  for (let round = 0; round < runs; round++) {
    const names = Object.keys(commands)
    // Alternate the order so no command always runs right after another.
    for (const name of round % 2 === 0 ? names : names.reverse()) samples[name]!.push(sample(commands[name]!, cwd))
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, list]) => [name, {
      wall: median(list.map((s) => s.wall)),
      cpu: median(list.map((s) => s.cpu))
    }])
  )
}

const main = () => {
  if (build) sh("pnpm", ["build"], repo)
  const work = Fs.mkdtempSync(Path.join(Os.tmpdir(), "unrate-startup-"))
  try {
    const { app, bin } = install(work)
    const bytes = installedBytes(app)
    const figures = measure({
      "node -e 0": [process.execPath, "-e", "0"],
      "unrate --help": [bin, "--help"],
      "unrate --version": [bin, "--version"],
      "unrate delet (a usage error)": [bin, "delet"]
    }, app)
    const node = figures["node -e 0"]!
    const rows = Object.entries(figures).map(([name, { cpu, wall }]) =>
      `| \`${name}\` | ${(wall * 1000).toFixed(0)} ms | ${(wall / node.wall).toFixed(1)}× | ${
        (cpu * 1000).toFixed(0)
      } ms |`
    )
    const help = figures["unrate --help"]!
    const text = [
      "## Startup and install size",
      "",
      `\`pnpm --filter @unrate/bench bench:startup\` (about a minute) builds, packs \`@unrate/cli\`, installs it with npm`,
      "into an empty project (with the tarballs of any `@unrate/*` package it depends on), and times the installed",
      `bin side by side with \`node -e 0\`, alternating, medians of ${runs} runs under GNU time (CPU: user + system).`,
      "`--repo DIR --no-write` measures another checkout without touching this file.",
      `Machine: ${machine()}; ${new Date().toISOString().slice(0, 10)}. On a machine shared with other work the`,
      "times swing from run to run; compare the ratio to `node -e 0`, measured alongside.",
      "",
      "| command | wall | × `node -e 0` | CPU |",
      "| --- | --- | --- | --- |",
      ...rows,
      "",
      `Installed size of \`@unrate/cli\` with its dependencies: ${
        (bytes / 1e6).toFixed(1)
      } MB (\`du -sb node_modules\`).`,
      "",
      `Targets: \`unrate --help\` at most 4× \`node -e 0\` in wall time (${(help.wall / node.wall).toFixed(1)}×: ${
        help.wall <= 4 * node.wall ? "met" : "**not met**"
      }) and at most 0.3 s CPU (${help.cpu.toFixed(2)} s: ${
        help.cpu <= 0.3 ? "met" : "**not met**"
      }); under 15 MB installed (${bytes < 15e6 ? "met" : "**not met**"}).`
    ].join("\n")
    console.log(text)
    if (write) writeSection("startup", text)
  } finally {
    Fs.rmSync(work, { recursive: true, force: true })
  }
}

main()
