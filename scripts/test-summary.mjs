#!/usr/bin/env node
// Adds up the vitest JSON reports every package writes to test-results/vitest.json and prints one
// closing line, "N passed, N failed, N skipped", so a reader (or CI) sees the whole suite at once.
// Exits non-zero when any test failed or when a package with tests wrote no report.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const roots = ['packages', 'examples'].filter((dir) => existsSync(dir))
let passed = 0
let failed = 0
let skipped = 0
const missing = []
for (const root of roots) {
  for (const name of readdirSync(root)) {
    const dir = join(root, name)
    if (!existsSync(join(dir, 'vitest.config.ts'))) continue
    const report = join(dir, 'test-results', 'vitest.json')
    if (!existsSync(report)) {
      missing.push(dir)
      continue
    }
    const json = JSON.parse(readFileSync(report, 'utf8'))
    passed += json.numPassedTests
    failed += json.numFailedTests
    skipped += json.numPendingTests + json.numTodoTests
    console.log(
      `${dir}: ${json.numPassedTests} passed, ${json.numFailedTests} failed, ${json.numPendingTests} skipped`,
    )
  }
}
for (const dir of missing) console.log(`${dir}: no test report (tests did not run)`)
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 || missing.length > 0 ? 1 : 0)
