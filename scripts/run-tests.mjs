#!/usr/bin/env node
// `pnpm test`: builds every package, runs every package's tests (continuing past a failing package so
// the report is complete), then prints one summary line over all of them. Exit status: non-zero when
// the build fails, any test fails, or a package with tests produced no report.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

function run(command, args) {
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env },
  })
  return result.status ?? 1
}

for (const root of ['packages', 'examples'].filter((dir) => existsSync(dir))) {
  for (const name of readdirSync(root))
    rmSync(join(root, name, 'test-results'), { recursive: true, force: true })
}

const turbo = join('node_modules', '.bin', 'turbo')
if (run(turbo, ['run', 'build', '--output-logs=errors-only']) !== 0) {
  console.error('build failed: tests not run')
  process.exit(1)
}
const testStatus = run(turbo, ['run', 'test', '--continue', '--concurrency=1'])
const summaryStatus = run(process.execPath, ['scripts/test-summary.mjs'])
process.exit(testStatus !== 0 ? testStatus : summaryStatus)
