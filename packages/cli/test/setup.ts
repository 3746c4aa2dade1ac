import { afterAll, assert } from "@effect/vitest"
import { liveGroups } from "./cli.js"

// Every test file: no process a test started may outlive the file's tests.
afterAll(() => {
  assert.deepStrictEqual(liveGroups(), [], "processes started by the tests are still running")
})
