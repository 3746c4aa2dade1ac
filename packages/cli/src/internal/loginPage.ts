/** The one page `unrate login` serves. @internal */
export interface PageOptions {
  readonly developerToken: string
  readonly nonce: string
  /** The Content-Security-Policy nonce of the page's own script and style (see {@link pagePolicy}). */
  readonly cspNonce: string
  readonly musicKitUrl: string
  readonly credentialsPath: string
  readonly version: string
}

const html = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** JSON that is safe inside a `<script>` element. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029")

/** The header that carries the page's one-time nonce on every POST. @internal */
export const nonceHeader = "x-unrate-nonce"

/** The Content-Security-Policy of every answer that is not the page: nothing may load. @internal */
export const apiPolicy = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * Where MusicKit may talk to: the script's own origin, and for Apple's script
 * Apple Music's hosts (its API and its sign-in live beside the script's CDN).
 */
const musicKitOrigins = (musicKitUrl: string): string => {
  const url = new URL(musicKitUrl)
  return url.protocol === "https:" && url.hostname.endsWith(".music.apple.com")
    ? `${url.origin} https://*.music.apple.com`
    : url.origin
}

/**
 * The page's Content-Security-Policy: its own script and style only by the
 * per-run nonce, MusicKit's script only from its origin, requests only to the
 * page itself and MusicKit's origins, nothing else. @internal
 */
export const pagePolicy = (musicKitUrl: string, cspNonce: string): string => {
  const script = new URL(musicKitUrl).origin
  const musicKit = musicKitOrigins(musicKitUrl)
  return [
    "default-src 'none'",
    `script-src 'nonce-${cspNonce}' ${script}`,
    `style-src 'nonce-${cspNonce}'`,
    `connect-src 'self' ${musicKit}`,
    `img-src 'self' ${musicKit}`,
    `frame-src ${musicKit}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join("; ")
}

/** @internal */
export const page = (options: PageOptions): string =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>unrate: sign in to Apple Music</title>
<style nonce="${html(options.cspNonce)}">
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem; color: #1d1d1f; }
  h1 { font-size: 1.5rem; }
  button { font: inherit; font-weight: 600; padding: .7rem 1.4rem; border: 0; border-radius: .6rem; background: #fa2d48; color: white; cursor: pointer; }
  button:disabled { background: #aaa; cursor: default; }
  #status { min-height: 1.5rem; font-weight: 600; }
  .note { color: #555; font-size: .9rem; }
  code { font-size: .85rem; }
</style>
</head>
<body>
<h1>Sign in to Apple Music for unrate</h1>
<p>unrate needs a <em>music user token</em> to change your ratings. Apple hands it out
through its sign-in; press the button, sign in with your Apple ID and allow access.</p>
<p><button id="authorize" disabled>Sign in to Apple Music</button></p>
<p id="status" role="status">Loading MusicKit…</p>
<p class="note">This page is served by the <code>unrate login</code> command on your own computer
(127.0.0.1) and nowhere else. The only secret it holds is unrate's developer token, which
Apple's sign-in needs. The token Apple gives back goes straight to that command, which
stores it in <code>${html(options.credentialsPath)}</code> (readable only by you) and stops.
<code>unrate logout</code> deletes it.</p>
<script nonce="${html(options.cspNonce)}">
  const nonce = ${scriptJson(options.nonce)}
  const developerToken = ${scriptJson(options.developerToken)}
  const button = document.getElementById("authorize")
  const status = document.getElementById("status")
  let finished = false
  const show = (text) => { status.textContent = text }
  const post = (path, body, keepalive = false) =>
    fetch(path, {
      method: "POST",
      keepalive,
      headers: { "content-type": "application/json", ${scriptJson(nonceHeader)}: nonce },
      body: JSON.stringify(body)
    })
  document.addEventListener("musickitloaded", async () => {
    try {
      await MusicKit.configure({ developerToken, app: { name: "unrate", build: ${scriptJson(options.version)} } })
      button.disabled = false
      show("Ready.")
    } catch (error) {
      show("MusicKit refused the developer token: " + (error && error.message ? error.message : error))
    }
  })
  button.addEventListener("click", async () => {
    button.disabled = true
    show("Waiting for Apple…")
    try {
      const musicUserToken = await MusicKit.getInstance().authorize()
      if (typeof musicUserToken !== "string" || musicUserToken === "") throw new Error("Apple returned no token")
      const answer = await post("/token", { musicUserToken })
      if (!answer.ok) throw new Error("unrate refused it (" + answer.status + ")")
      finished = true
      show("Done: unrate stored your token. You can close this page.")
    } catch (error) {
      button.disabled = false
      show("Not signed in: " + (error && error.message ? error.message : error) + ". Try again.")
    }
  })
  window.addEventListener("pagehide", () => {
    if (!finished) post("/closed", {}, true).catch(() => undefined)
  })
</script>
<script nonce="${html(options.cspNonce)}" src="${html(options.musicKitUrl)}" async></script>
</body>
</html>
`
