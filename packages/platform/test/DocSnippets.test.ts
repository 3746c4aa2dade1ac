import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Url from "node:url"
import ts from "typescript"

const here = Path.dirname(Url.fileURLToPath(import.meta.url))
const root = Path.resolve(here, "../../..")
const out = Path.resolve(here, "../build/doc-snippets")

/** Every ```ts block of the README and the guides, as a module of its own. */
const snippets = () => {
  const documents = ["README.md", ...Fs.readdirSync(Path.join(root, "docs")).map((name) => `docs/${name}`)]
    .filter((name) => name.endsWith(".md"))
  return documents.flatMap((document) =>
    [...Fs.readFileSync(Path.join(root, document), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((match, index) => ({
      name: `${document.replace(/[/.]/g, "_")}_${index + 1}.ts`,
      document,
      code: match[1]!
    }))
  )
}

describe("documentation snippets", () => {
  it.effect("every TypeScript block in the README and docs/ type-checks against the packages", () =>
    Effect.sync(() => {
      Fs.rmSync(out, { recursive: true, force: true })
      Fs.mkdirSync(out, { recursive: true })
      const found = snippets()
      assert.isAtLeast(found.length, 10)
      for (const snippet of found) Fs.writeFileSync(Path.join(out, snippet.name), snippet.code)
      const program = ts.createProgram(found.map((snippet) => Path.join(out, snippet.name)), {
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        moduleDetection: ts.ModuleDetectionKind.Force,
        target: ts.ScriptTarget.ES2022,
        lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
        types: ["node"],
        skipLibCheck: true
      })
      const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
        const file = diagnostic.file
        const where = file === undefined
          ? ""
          : `${found.find((snippet) => file.fileName.endsWith(snippet.name))?.document ?? file.fileName} (${
            Path.basename(file.fileName)
          }:${file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}): `
        return where + ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")
      })
      assert.deepStrictEqual(problems, [])
    }))
})
