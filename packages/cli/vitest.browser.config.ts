import shared from "../../vitest.shared.js"

/** Tests that need a real browser: Debian's chromium, or the one CHROMIUM_PATH names. */
export default { ...shared, test: { ...shared.test, name: "cli-browser", include: ["test-browser/**/*.test.ts"] } }
