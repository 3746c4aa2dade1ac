// Drives the installed `unrate` bin (plain node, from the packed build):
// --help, token from signing material, and delete against the packed emulator
// with the documented exit codes.
import { Emulator } from "@unrate/emulator"
import { Effect, Exit, Scope } from "effect"
import { execFile } from "node:child_process"
import { generateKeyPairSync } from "node:crypto"
import { readFileSync } from "node:fs"

const bin = "node_modules/.bin/unrate"

const run = (args, env = {}) =>
  new Promise((resolve) => {
    const started = process.hrtime.bigint()
    execFile(
      bin,
      args,
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
      (error, stdout, stderr) => {
        const millis = Number(process.hrtime.bigint() - started) / 1e6
        resolve({ code: error ? error.code : 0, stdout, stderr, millis })
      }
    )
  })

const expect = (what, condition, result) => {
  if (!condition) {
    console.error(`cli: ${what} failed`, result)
    process.exit(1)
  }
  console.log(`cli: ${what}: ok`)
}

const help = []
for (let round = 0; round < 5; round++) help.push(await run(["--help"]))
expect("--help", help.every((r) => r.code === 0 && r.stdout.includes("sweep")), help[0])
const times = help.map((r) => r.millis).sort((a, b) => a - b)
console.log(`cli: unrate --help wall time, median of 5: ${times[2].toFixed(0)} ms (min ${times[0].toFixed(0)} ms)`)

const { version } = JSON.parse(readFileSync("node_modules/@unrate/cli/package.json", "utf8"))
const shown = await run(["--version"])
expect("--version prints `unrate <version>`", shown.code === 0 && shown.stdout === `unrate ${version}\n`, shown)
const deleteHelp = await run(["delete", "--help"])
expect(
  "delete --help names `unrate delete`, without escape sequences on a pipe",
  deleteHelp.code === 0 && deleteHelp.stdout.includes("unrate delete <kind>") && !deleteHelp.stdout.includes("\u001b["),
  deleteHelp
)

const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
const signing = {
  APPLE_MUSIC_TEAM_ID: "TEAM123456",
  APPLE_MUSIC_KEY_ID: "KEY1234567",
  APPLE_MUSIC_PRIVATE_KEY: privateKey.export({ type: "pkcs8", format: "pem" })
}
const token = await run(["token"], signing)
const [header] = token.stdout.trim().split(".")
expect(
  "token",
  token.code === 0 && token.stdout.trim().split(".").length === 3 &&
    JSON.parse(Buffer.from(header, "base64url").toString()).kid === "KEY1234567",
  token
)
const noMaterial = await run(["token"])
expect("token without signing material exits 2", noMaterial.code === 2, noMaterial)

const scope = Effect.runSync(Scope.make())
const emulator = await Effect.runPromise(Emulator.make().pipe(Scope.extend(scope)))
await Effect.runPromise(emulator.store.seed([["library-songs", "i.cli1", -1], ["library-songs", "i.cli2", 1]]))
const env = {
  APPLE_MUSIC_BASE_URL: emulator.url,
  APPLE_MUSIC_DEVELOPER_TOKEN: emulator.developerToken,
  APPLE_MUSIC_USER_TOKEN: emulator.userToken
}
const deleted = await run(["delete", "library-songs", "i.cli1", "--json"], env)
const summary = deleted.code === 0 ? JSON.parse(deleted.stdout) : undefined
const left = await Effect.runPromise(emulator.store.lookup("library-songs", "i.cli1"))
expect("delete exits 0 and the rating is gone", summary?.deleted === 1 && left === undefined, deleted)
const refused = await run(["delete", "library-songs", "i.cli2", "--json"], {
  ...env,
  APPLE_MUSIC_USER_TOKEN: "consumer-secret-user-token"
})
const kept = await Effect.runPromise(emulator.store.lookup("library-songs", "i.cli2"))
expect(
  "delete with a refused user token exits 3 and keeps the rating",
  refused.code === 3 && JSON.parse(refused.stdout).stoppedBy === "Forbidden" && kept === 1 &&
    !`${refused.stdout}${refused.stderr}`.includes("consumer-secret-user-token"),
  refused
)
const usage = await run(["delete", "library-songz", "i.cli2"], env)
expect("an unknown kind exits 2", usage.code === 2 && usage.stderr.includes("library-songs"), usage)
await Effect.runPromise(Scope.close(scope, Exit.void))
