import * as Journal from "@unrate/core/Journal"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

type Check = (u: unknown) => boolean

const hasOwn = Object.prototype.hasOwnProperty

/**
 * A plain predicate for the schemas a journal entry is made of (literals,
 * strings, booleans, optional fields of a struct): the same answer as
 * `Schema.is`, without its parser's work per value. Undefined when any part
 * is of another kind: the entry's check is then `Schema.is` itself.
 */
const compile = (ast: AST.AST): Check | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return (u) => typeof u === "string"
    case "BooleanKeyword":
      return (u) => typeof u === "boolean"
    case "UndefinedKeyword":
      return (u) => u === undefined
    case "Literal": {
      const literal = ast.literal
      return (u) => u === literal
    }
    case "Union": {
      if (ast.types.every(AST.isLiteral)) {
        const literals = new Set<unknown>(ast.types.map((type) => (type as AST.Literal).literal))
        return (u) => literals.has(u)
      }
      const checks = ast.types.map(compile)
      if (!checks.every((check) => check !== undefined)) return undefined
      return (u) => checks.some((check) => check!(u))
    }
    case "TypeLiteral": {
      if (ast.indexSignatures.length > 0) return undefined
      const fields = ast.propertySignatures.map((field) => ({
        name: field.name,
        optional: field.isOptional,
        check: compile(field.type)
      }))
      if (!fields.every((field) => field.check !== undefined)) return undefined
      // As `Schema.is` (exact): only own properties count, and an array is not a struct.
      return (u) => {
        if (typeof u !== "object" || u === null || Array.isArray(u)) return false
        const record = u as Record<PropertyKey, unknown>
        for (const field of fields) {
          // A field that is absent is fine when optional; one present must pass its check, undefined included.
          if (hasOwn.call(record, field.name) ? !field.check!(record[field.name]) : !field.optional) return false
        }
        return true
      }
    }
    default:
      return undefined
  }
}

const schemaIs = Schema.is(Journal.Entry)
const assertEntry: (u: unknown) => asserts u is Journal.Entry = Schema.asserts(Journal.Entry)

/**
 * Whether a value is a journal entry: `Schema.is(Journal.Entry)`, compiled to
 * a plain function once.
 *
 * @internal
 */
export const isEntry: (u: unknown) => u is Journal.Entry = (compile(Journal.Entry.ast) ?? schemaIs) as (
  u: unknown
) => u is Journal.Entry

const fields = Object.keys(Journal.Entry.fields) as ReadonlyArray<keyof Journal.Entry>

/**
 * An entry's line: its JSON as the schema encodes it (the schema's own
 * fields, in the schema's order, an absent optional field left out), then a
 * newline. An entry that is not one throws the schema's own error, naming
 * what is wrong, and nothing is written.
 *
 * @internal
 */
export const lineOf = (entry: Journal.Entry): string => {
  if (!isEntry(entry)) assertEntry(entry)
  const ordered: Record<string, unknown> = {}
  for (const field of fields) {
    const value = hasOwn.call(entry, field) ? entry[field] : undefined
    if (value !== undefined) ordered[field] = value
  }
  return `${JSON.stringify(ordered)}\n`
}
