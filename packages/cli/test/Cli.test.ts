import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@unrate/emulator"
import { Effect } from "effect"
import * as Jose from "jose"
import * as Fs from "node:fs"
import { cleanEnv, command, emulatorEnv, run, spawn, tempFile } from "./cli.js"

const secrets = (emulator: Emulator.Emulator) => [emulator.developerToken, emulator.userToken]

const assertNoSecrets = (texts: ReadonlyArray<string>, tokens: ReadonlyArray<string>) => {
  for (const text of texts) for (const token of tokens) assert.notInclude(text, token)
}

describe("unrate", () => {
  it.scopedLive("delete reads ids from stdin and prints one JSON object on stdout", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 30, dislikes: 0.5 })
      const input = ["# ids to delete", ...seeded.dislikes, "", "i.notRated"].join("\n")
      const result = yield* run(["delete", "library-songs", "--ids-file", "-", "--json"], {
        env: emulatorEnv(emulator),
        stdin: input
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(result.stderr, "")
      const lines = result.stdout.trim().split("\n")
      assert.strictEqual(lines.length, 1)
      const json = JSON.parse(lines[0]!)
      assert.deepStrictEqual(Object.keys(json), [
        "command",
        "kind",
        "requested",
        "deleted",
        "absent",
        "failed",
        "invalid",
        "skipped",
        "planned",
        "dryRun",
        "stoppedBy",
        "journal",
        "failures",
        "rate"
      ])
      assert.deepStrictEqual(
        [json.command, json.kind, json.requested, json.deleted, json.absent, json.failed, json.stoppedBy],
        ["delete", "library-songs", 16, 15, 1, 0, null]
      )
      // no limit anywhere: the limiter started at the default 20 and never came down
      assert.isAtLeast(json.rate.final, 20)
      assert.isAtLeast(json.rate.peak, json.rate.final)
      assert.strictEqual(yield* emulator.store.count(), 0)
    }))

  it.scopedLive("a refused developer token exits 3 after one request", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const result = yield* run(["delete", "library-songs", "i.a", "i.b", "i.c", "--json"], {
        env: emulatorEnv(emulator, { APPLE_MUSIC_DEVELOPER_TOKEN: "expired-token-value" })
      })
      assert.strictEqual(result.code, 3)
      const json = JSON.parse(result.stdout)
      assert.strictEqual(json.stoppedBy, "Unauthorized")
      assert.strictEqual((yield* emulator.requestLog).length, 1)
      assertNoSecrets([result.stdout, result.stderr], ["expired-token-value", emulator.userToken])
    }))

  it.scopedLive("a batch stopped by a refused token says, in the command's terms, what to do", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const cases = [
        [
          { APPLE_MUSIC_DEVELOPER_TOKEN: "expired-token-value" },
          "Unauthorized",
          "Hint: check APPLE_MUSIC_DEVELOPER_TOKEN"
        ],
        [{ APPLE_MUSIC_USER_TOKEN: "revoked-user-token" }, "Forbidden", "Hint: run `unrate login` again"]
      ] as const
      for (const [env, tag, hint] of cases) {
        const result = yield* run(["delete", "library-songs", "i.a", "i.b"], { env: emulatorEnv(emulator, env) })
        assert.strictEqual(result.code, 3)
        const output = `${result.stdout}\n${result.stderr}`
        const stopLine = output.split("\n").find((line) => line.startsWith(`stopped by ${tag}: `))
        assert.isDefined(stopLine, output)
        assert.include(stopLine, hint)
        assertNoSecrets([output], [env[Object.keys(env)[0] as keyof typeof env] as string])
      }
    }))

  it.scopedLive("a hostile id exits 1, counted invalid, and is never sent", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      yield* emulator.store.seed([["library-songs", "i.good", -1]])
      const result = yield* run(["delete", "library-songs", "i.good", "../../library/songs", "--json"], {
        env: emulatorEnv(emulator)
      })
      assert.strictEqual(result.code, 1)
      const json = JSON.parse(result.stdout)
      assert.deepStrictEqual([json.deleted, json.invalid], [1, 1])
      assert.strictEqual(json.failures[0].id, "../../library/songs")
      assert.strictEqual(json.failures[0].error, "InvalidId")
      const log = yield* emulator.requestLog
      assert.deepStrictEqual(log.map((entry) => `${entry.method} ${entry.path}`), [
        "GET /v1/me/ratings/library-songs?ids=i.good",
        "DELETE /v1/me/ratings/library-songs/i.good"
      ])
    }))

  it.scopedLive("--dry-run sends no DELETE; without --json a human summary and plain progress lines", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 40, dislikes: 0.5 })
      const file = tempFile("ids.txt", seeded.dislikes.join("\n"))
      const result = yield* run(["delete", "library-songs", "--ids-file", file, "--dry-run"], {
        env: emulatorEnv(emulator)
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.include(result.stdout, "20 planned (dry run)")
      assert.include(result.stderr, "delete library-songs:")
      assert.isFalse((yield* emulator.requestLog).some((entry) => entry.method === "DELETE"))
      assert.strictEqual(yield* emulator.store.count(), 20)
    }))

  it.scopedLive(
    "SIGINT stops a batch: exit 130, a summary, and a journal a rerun resumes",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make({ faults: { latency: "5 millis" } })
        const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 600, dislikes: 1 })
        const ids = tempFile("ids.txt", seeded.dislikes.join("\n"))
        const journal = tempFile("journal.jsonl")
        const args = ["delete", "library-songs", "--ids-file", ids, "--journal", journal, "--rate", "100", "--json"]
        const interrupted = yield* run(args, {
          env: emulatorEnv(emulator),
          onStart: (child) => {
            const timer = setInterval(() => {
              if (Fs.existsSync(journal) && Fs.readFileSync(journal, "utf8").split("\n").length > 50) {
                clearInterval(timer)
                child.kill("SIGINT")
              }
            }, 10)
            child.once("exit", () => clearInterval(timer))
          }
        })
        assert.strictEqual(interrupted.code, 130, interrupted.stderr)
        const first = JSON.parse(interrupted.stdout)
        assert.strictEqual(first.stoppedBy, "Interrupted")
        assert.isAbove(first.deleted, 0)
        assert.isBelow(first.deleted, 600)
        const resumed = yield* run(args, { env: emulatorEnv(emulator) })
        assert.strictEqual(resumed.code, 0, resumed.stderr)
        const second = JSON.parse(resumed.stdout)
        assert.strictEqual(second.skipped, first.deleted)
        assert.strictEqual(first.deleted + second.deleted + second.absent, 600)
        assert.strictEqual(yield* emulator.store.count(), 0)
        const deletes = (yield* emulator.requestLog).filter((entry) => entry.method === "DELETE")
        assert.strictEqual(new Set(deletes.map((entry) => entry.path)).size, deletes.length)
      }),
    { timeout: 120_000 }
  )

  it.scopedLive("draws a progress bar under a pseudo-terminal", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({ faults: { latency: "2 millis" } })
      const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 300, dislikes: 1 })
      const ids = tempFile("ids.txt", seeded.dislikes.join("\n"))
      const shell = [...command, "delete", "library-songs", "--ids-file", ids, "--rate", "200", "--yes"]
        .map((part) => `'${part}'`).join(" ")
      const output = yield* spawn("script", ["-qfec", shell, "/dev/null"], { env: emulatorEnv(emulator) }).pipe(
        Effect.map(({ code, stdout }) => ({ code, text: stdout }))
      )
      assert.strictEqual(output.code, 0, output.text)
      assert.match(output.text, /█/)
      assert.match(output.text, /\d+\/300/)
      assert.include(output.text, "300 deleted")
      assertNoSecrets([output.text], secrets(emulator))
    }), { timeout: 60_000 })

  it.scopedLive("sweep and restore print their JSON; restore twice changes nothing", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make({
        library: [{ kind: "library-songs", size: 300, dislikes: 0.2, likes: 0.1 }]
      })
      const journal = tempFile("sweep.jsonl")
      const swept = yield* run(["sweep", "library-songs", "--journal", journal, "--rate", "500", "--json"], {
        env: emulatorEnv(emulator)
      })
      assert.strictEqual(swept.code, 0, swept.stderr)
      const json = JSON.parse(swept.stdout)
      assert.deepStrictEqual([json.command, json.scanned, json.matched, json.deleted], ["sweep", 300, 60, 60])
      assert.deepStrictEqual(Object.keys(json).slice(-3), ["scanned", "matched", "rate"])
      assert.isAtMost(json.rate.peak, 500, "--rate is the ceiling")
      const restored = yield* run(["restore", "--journal", journal, "--json"], { env: emulatorEnv(emulator) })
      assert.strictEqual(restored.code, 0, restored.stderr)
      const { rate, ...restoredJson } = JSON.parse(restored.stdout)
      assert.isAtLeast(rate.final, 20)
      assert.deepStrictEqual(restoredJson, {
        command: "restore",
        restored: 60,
        failed: 0,
        skipped: 0,
        planned: 0,
        dryRun: false,
        stoppedBy: null,
        journal,
        failures: []
      })
      const again = yield* run(["restore", "--journal", journal, "--json"], { env: emulatorEnv(emulator) })
      assert.deepStrictEqual([JSON.parse(again.stdout).restored, JSON.parse(again.stdout).skipped], [0, 60])
      assert.strictEqual((yield* emulator.store.ratings).filter((rating) => rating.value === -1).length, 60)
    }), { timeout: 60_000 })

  it.scopedLive(
    "--rate N --fixed-rate keeps exactly N and never probes; --fixed-rate needs --rate",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.make()
        const seeded = yield* emulator.store.seedLibrary({ kind: "library-songs", size: 200, dislikes: 1 })
        const fixed = yield* run(
          ["delete", "library-songs", "--ids-file", "-", "--rate", "150", "--fixed-rate", "--no-journal", "--json"],
          { env: emulatorEnv(emulator), stdin: seeded.dislikes.join("\n") }
        )
        assert.strictEqual(fixed.code, 0, fixed.stderr)
        assert.deepStrictEqual(JSON.parse(fixed.stdout).rate, { final: 150, peak: 150 })
        const alone = yield* run(["delete", "library-songs", "i.a", "--fixed-rate", "--json"], {
          env: emulatorEnv(emulator)
        })
        assert.strictEqual(alone.code, 2)
        assert.include(alone.stderr, "--fixed-rate needs --rate")
      }),
    { timeout: 60_000 }
  )

  it.scopedLive("usage errors exit 2 and name the problem and the fix", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.make()
      const cases: Array<[ReadonlyArray<string>, Record<string, string>, string]> = [
        [["delete", "song", "1"], emulatorEnv(emulator), "did you mean 'songs' or 'library-songs'?"],
        [["delete", "library-songs"], emulatorEnv(emulator), "no ids"],
        [["sweep", "songs"], emulatorEnv(emulator), "library kind"],
        [["delete", "songs", "1"], emulatorEnv(emulator, { APPLE_MUSIC_BASE_URL: "http://example.com" }), "loopback"],
        [["delete", "songs", "1"], cleanEnv({ APPLE_MUSIC_USER_TOKEN: "u" }), "APPLE_MUSIC_DEVELOPER_TOKEN"],
        [["delete", "songs", "1"], cleanEnv({ APPLE_MUSIC_DEVELOPER_TOKEN: "d" }), "unrate login"],
        [["delete", "songs", "1", "--concurrency", "0"], emulatorEnv(emulator), "--concurrency"],
        [["delete", "songs", "1", "--concurrency", "many"], emulatorEnv(emulator), "'many' is not a integer"],
        [["restore", "--journal", "/nonexistent/j.jsonl"], emulatorEnv(emulator), "no such file"],
        [["token", "--ttl", "15777001"], cleanEnv(), "--ttl must be a whole number of seconds from 1 to 15777000"],
        [["token", "--ttl", "0"], cleanEnv(), "--ttl must be a whole number of seconds from 1 to 15777000"],
        [["token"], cleanEnv(), "APPLE_MUSIC_TEAM_ID"]
      ]
      for (const [args, env, message] of cases) {
        const result = yield* run(args, { env })
        assert.strictEqual(result.code, 2, `${args.join(" ")}: ${result.stderr}`)
        assert.include(result.stderr + result.stdout, message)
      }
      assert.strictEqual((yield* emulator.requestLog).length, 0)
    }), { timeout: 120_000 })

  it.effect("token prints a developer token that verifies, and nothing else", () =>
    Effect.gen(function*() {
      const pair = yield* Effect.promise(() => Jose.generateKeyPair("ES256", { extractable: true }))
      const pem = yield* Effect.promise(() => Jose.exportPKCS8(pair.privateKey))
      const keyFile = tempFile("AuthKey.p8", pem)
      const result = yield* run(["token", "--ttl", "600"], {
        env: cleanEnv({
          APPLE_MUSIC_TEAM_ID: "TEAM123456",
          APPLE_MUSIC_KEY_ID: "KEY1234567",
          APPLE_MUSIC_PRIVATE_KEY_FILE: keyFile
        })
      })
      assert.strictEqual(result.code, 0, result.stderr)
      const token = result.stdout.trim()
      const { payload, protectedHeader } = yield* Effect.promise(() => Jose.jwtVerify(token, pair.publicKey))
      assert.deepStrictEqual([protectedHeader.alg, protectedHeader.kid, payload.iss], [
        "ES256",
        "KEY1234567",
        "TEAM123456"
      ])
      assert.strictEqual(payload.exp! - payload.iat!, 600)
      assert.notInclude(result.stdout + result.stderr, pem.split("\n")[1]!)
    }), { timeout: 60_000 })

  it.effect("the emulator command prints its URL and tokens and stops on SIGTERM", () =>
    Effect.gen(function*() {
      let url = ""
      const result = yield* run(["emulator", "--songs", "10"], {
        onStart: (child) => {
          child.stdout!.on("data", (chunk: Buffer) => {
            const match = chunk.toString().match(/APPLE_MUSIC_BASE_URL=(\S+)/)
            if (match && url === "") {
              url = match[1]!
              fetch(`${url}/v1/me/library/songs`, {
                headers: { authorization: "Bearer emulator-developer-token", "music-user-token": "emulator-user-token" }
              }).then((response) => response.json()).then((body: any) => {
                url = `${url} ${body.data.length}`
                child.kill("SIGTERM")
              })
            }
          })
        }
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+ 10$/)
      assert.include(result.stdout, "APPLE_MUSIC_USER_TOKEN=emulator-user-token")
    }), { timeout: 60_000 })

  it.effect("demo sweeps and restores an emulated library and exits 0", () =>
    Effect.gen(function*() {
      const result = yield* run(["demo"])
      assert.strictEqual(result.code, 0, result.stderr)
      assert.include(result.stdout, "600 deleted")
      assert.include(result.stdout, "600 restored")
      assert.include(result.stdout, "600 dislikes again")
      assert.notInclude(result.stdout, "cannot be undone")
    }), { timeout: 60_000 })
})
