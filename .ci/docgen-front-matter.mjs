// @effect/docgen's Markdown formatter turns each page's front-matter fence
// into "***"; GitHub then shows the title block as text. Put the fence back.
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith(".md") ? [join(dir, entry.name)] : []
  )
for (const file of walk(process.argv[2] ?? "docs")) {
  const text = readFileSync(file, "utf8")
  if (text.startsWith("***\n")) writeFileSync(file, "---\n" + text.slice(4))
}
