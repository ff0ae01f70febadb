#!/usr/bin/env node
// The conformance client: `node dist/bin.js verify-bundle …`, driven by shared/tools/conformance-run (and by
// test/conformance.test.ts). A thin wrapper over the verifier's `runVerifyBundle`; it loads only the verify path.
import { runVerifyBundle } from '@certus-trust/verifier'

process.exitCode = await runVerifyBundle(process.argv.slice(2))
