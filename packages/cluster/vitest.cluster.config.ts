import { defineConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

export default defineConfig({
  test: {
    ...shared.test,
    name: "cluster-multi",
    include: ["test-cluster/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 120_000
  }
})
