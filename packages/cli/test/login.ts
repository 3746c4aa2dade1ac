import { Deferred, Effect, Exit, Fiber } from "effect"
import type * as ChildProcess from "node:child_process"
import * as Http from "node:http"
import * as Path from "node:path"
import { run } from "./cli.js"

export const developerToken = "login-test-developer-token"
export const musicUserToken = "stub-music-user-token-7f3a9c"

/** What Apple's MusicKit JS offers the page, answering `authorize()` with a known token. */
const stubMusicKit = `(() => {
  const instance = {
    authorize: async () => {
      if (window.__configuredWith !== ${
  JSON.stringify(developerToken)
}) throw new Error("configured with the wrong developer token")
      return ${JSON.stringify(musicUserToken)}
    }
  }
  window.MusicKit = {
    configure: async (options) => { window.__configuredWith = options.developerToken; return instance },
    getInstance: () => instance
  }
  document.dispatchEvent(new Event("musickitloaded"))
})()`

export const serveStub = Effect.acquireRelease(
  Effect.async<Http.Server>((resume) => {
    const server = Http.createServer((_, response) => {
      response.writeHead(200, { "content-type": "text/javascript" }).end(stubMusicKit)
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
  }),
  (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as { port: number }).port}/musickit.js`))

/** Starts `unrate login --no-open` and hands back its page URL (read from stderr) and its result. */
export const startLogin = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const url = yield* Deferred.make<string>()
    const result = yield* run(["login", "--no-open"], {
      env,
      onStart: (child: ChildProcess.ChildProcess) => {
        let seen = ""
        child.stderr?.on("data", (chunk: Buffer) => {
          seen += chunk.toString()
          const found = /http:\/\/127\.0\.0\.1:\d+\//.exec(seen)
          if (found) Deferred.unsafeDone(url, Exit.succeed(found[0]))
        })
      }
    }).pipe(Effect.forkScoped)
    return { url: yield* Deferred.await(url), result: Fiber.join(result) }
  })

/** POSTs JSON as the page does, with the page's nonce in its header when one is given. */
export const post = (url: string, body: unknown, nonce?: string) =>
  Effect.promise(() =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(nonce === undefined ? {} : { "x-unrate-nonce": nonce }) },
      body: JSON.stringify(body)
    }).then(
      (response) => response.status,
      () => "refused" as const
    )
  )

export const nonceOf = (url: string) =>
  Effect.promise(() => fetch(url).then((response) => response.text())).pipe(
    Effect.map((page) => /const nonce = "([\w-]+)"/.exec(page)![1]!)
  )

export const credentialsOf = (env: Record<string, string>) =>
  Path.join(env.XDG_CONFIG_HOME!, "unrate", "credentials.json")
