#!/usr/bin/env node
// Thin executable for the conformance protocol: `bin.js verify-bundle …`. Kept separate from the
// library entry so a process start loads only the verification path.
import { runVerifyBundle } from './cli.js'

process.exitCode = await runVerifyBundle(process.argv.slice(2))
