#!/usr/bin/env node
/**
 * The `unrate` executable.
 *
 * @since 0.1.0
 */
import { main } from "./Cli.js"

main(process.argv)
