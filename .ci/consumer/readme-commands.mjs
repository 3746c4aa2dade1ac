// Prints the commands of the README's install section (between
// <!-- install:start --> and <!-- install:end -->), one per line, with every
// `@unrate/<name>` package that `npm install` names replaced by its packed
// tarball, so the consumer test runs exactly what the README tells users.
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const [readme, packs] = process.argv.slice(2)
const text = readFileSync(readme, "utf8")
const section = text.split("<!-- install:start -->")[1]?.split("<!-- install:end -->")[0]
if (section === undefined) {
  console.error("README.md has no install section")
  process.exit(1)
}
const tarballs = new Map(
  readdirSync(packs).map((
    file
  ) => [`@unrate/${file.replace(/^unrate-/, "").replace(/-\d+\.\d+\.\d+\.tgz$/, "")}`, join(packs, file)])
)
const commands = section.split("\n")
  .map((line) => line.replace(/\s+#.*$/, "").trim())
  .filter((line) => line.startsWith("npm ") || line.startsWith("npx "))
  .map((line) =>
    line.startsWith("npm install")
      ? line.replace(/@unrate\/[a-z-]+/g, (name) => {
        const tarball = tarballs.get(name)
        if (tarball === undefined) throw new Error(`no tarball for ${name}`)
        return tarball
      })
      : line
  )
if (commands.length === 0) {
  console.error("README.md's install section has no npm or npx command")
  process.exit(1)
}
console.log(commands.join("\n"))
