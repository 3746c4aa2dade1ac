// Lists every packed tarball and fails when anything but the built files,
// README, LICENSE, CHANGELOG and package.json is inside, or a secret is.
import { execFileSync } from "node:child_process"
import { readdirSync } from "node:fs"
import { join } from "node:path"

const dir = process.argv[2]
const allowed =
  /^package\/(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/[\w/.-]+\.(js|js\.map|d\.ts|d\.ts\.map))$/
const secrets = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----(\\n|\s)*[A-Za-z0-9+/]{40,}/,
  /"musicUserToken"\s*:\s*"[^"]/,
  /eyJhbGciOi[\w-]{10,}\.[\w-]{10,}\./
]
const forbidden = [/\/(test|tests|bench|examples|fixtures|src)\//, /\.tsbuildinfo$/, /\.(p8|pem|env|jsonl)$/]
let problems = 0
const tarballs = readdirSync(dir).filter((name) => name.endsWith(".tgz"))
if (tarballs.length !== 4) {
  console.error(`expected 4 tarballs, found ${tarballs.join(", ")}`)
  process.exit(1)
}
for (const tarball of tarballs) {
  const path = join(dir, tarball)
  const files = execFileSync("tar", ["-tzf", path], { encoding: "utf8" }).trim().split("\n")
  console.log(`${tarball}: ${files.length} files`)
  for (const file of files) {
    if (!allowed.test(file) || forbidden.some((pattern) => pattern.test(file))) {
      console.error(`  not allowed in a tarball: ${file}`)
      problems++
    }
  }
  const text = execFileSync("tar", ["-xzOf", path], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  for (const secret of secrets) {
    if (secret.test(text)) {
      console.error(`  ${tarball} holds something that looks like a secret: ${secret}`)
      problems++
    }
  }
  const manifest = JSON.parse(execFileSync("tar", ["-xzOf", path, "package/package.json"], { encoding: "utf8" }))
  const ranges = JSON.stringify([manifest.dependencies, manifest.peerDependencies])
  if (ranges.includes("workspace:") || manifest.exports["./*"].default !== "./dist/*.js") {
    console.error(`  ${tarball}: workspace ranges or source exports left in package.json`)
    problems++
  }
}
if (problems > 0) process.exit(1)
console.log("tarballs: only built files, README, LICENSE, CHANGELOG and package.json")
