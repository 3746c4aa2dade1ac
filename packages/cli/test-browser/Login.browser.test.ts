import { assert, describe, it } from "@effect/vitest"
import { Emulator } from "@unrate/emulator"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Url from "node:url"
import * as Playwright from "playwright-core"
import { cleanEnv, run } from "../test/cli.js"
import { credentialsOf, developerToken, musicUserToken, serveStub, startLogin } from "../test/login.js"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const artifacts = Path.resolve(here, "../.vitest-artifacts")
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

describe("unrate login in Chromium", () => {
  it.scopedLive("signs in through the page in Chromium, stores the token 0600, and delete uses it", () =>
    Effect.gen(function*() {
      const musicKitUrl = yield* serveStub
      const env = cleanEnv({ APPLE_MUSIC_DEVELOPER_TOKEN: developerToken, UNRATE_MUSICKIT_URL: musicKitUrl })
      const login = yield* startLogin(env)

      const browser = yield* Effect.acquireRelease(
        Effect.promise(() =>
          Playwright.chromium.launch({
            executablePath: chromiumPath,
            args: [
              "--no-sandbox",
              "--disable-gpu",
              "--disable-quic",
              "--no-first-run",
              "--disable-background-networking",
              "--disable-component-update",
              "--disable-sync"
            ]
          })
        ),
        (browser) => Effect.promise(() => browser.close())
      )
      const page = yield* Effect.promise(() => browser.newPage())
      yield* Effect.promise(() => page.goto(login.url))
      yield* Effect.promise(() => page.getByText("Ready.").waitFor())
      Fs.mkdirSync(artifacts, { recursive: true })
      yield* Effect.promise(() => page.screenshot({ path: Path.join(artifacts, "login-page.png"), fullPage: true }))
      const pageText = yield* Effect.promise(() => page.textContent("body"))
      assert.include(pageText, "The only secret it holds is unrate's developer token")
      yield* Effect.promise(() => page.getByRole("button", { name: "Sign in to Apple Music" }).click())
      yield* Effect.promise(() => page.getByText("Done: unrate stored your token").waitFor())

      const result = yield* login.result
      assert.strictEqual(result.code, 0, result.stderr)
      assert.include(result.stdout, credentialsOf(env))
      assert.notInclude(result.stdout + result.stderr, musicUserToken)
      assert.notInclude(result.stdout + result.stderr, developerToken)
      const file = credentialsOf(env)
      assert.strictEqual(Fs.statSync(file).mode & 0o777, 0o600)
      assert.strictEqual(Fs.statSync(Path.dirname(file)).mode & 0o777, 0o700)
      assert.deepStrictEqual(JSON.parse(Fs.readFileSync(file, "utf8")), { musicUserToken })

      const emulator = yield* Emulator.make({ developerToken, userToken: musicUserToken })
      yield* emulator.store.seed([["library-songs", "i.afterLogin", -1]])
      const deleted = yield* run(["delete", "library-songs", "i.afterLogin", "--json"], {
        env: { ...env, APPLE_MUSIC_BASE_URL: emulator.url, UNRATE_MUSICKIT_URL: "" }
      })
      assert.strictEqual(deleted.code, 0, deleted.stderr)
      assert.strictEqual(JSON.parse(deleted.stdout).deleted, 1)
      assert.isUndefined(yield* emulator.store.lookup("library-songs", "i.afterLogin"))
    }))
})
