/**
 * Wall-clock cost of `certus` invocations, measured by running the built binary (`node dist/bin.js`)
 * the way users and the conformance suite do. Prints a table and, last, one JSON line.
 *
 *   pnpm --filter @certus-trust/cli bench        (build first; SIGSTORE_CONFORMANCE_ASSETS enables the keyless case)
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js')
const work = mkdtempSync(join(tmpdir(), 'certus-bench-'))

function run(args: string[]): number {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8' })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0)
    throw new Error(`certus ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  return ms
}

function measure(
  name: string,
  runs: number,
  args: () => string[],
): { name: string; runs: number; meanMs: number; p50Ms: number } {
  const times = Array.from({ length: runs }, () => run(args())).sort((a, b) => a - b)
  const meanMs = times.reduce((sum, time) => sum + time, 0) / runs
  return { name, runs, meanMs: Math.round(meanMs), p50Ms: Math.round(times[Math.floor(runs / 2)] as number) }
}

const results: Array<{ name: string; runs: number; meanMs: number; p50Ms: number }> = []
try {
  results.push(measure('certus --version (start-up)', 10, () => ['--version']))
  results.push(
    measure('keygen ecdsa-p256', 5, () => [
      'keygen',
      '--private-key',
      'k.pem',
      '--public-key',
      'k.pub',
      '--force',
    ]),
  )
  writeFileSync(join(work, 'a.txt'), 'bench artifact\n')
  results.push(
    measure('sign, first use (creates data dir, log, key)', 1, () => [
      'sign',
      'a.txt',
      '--key',
      'k.pem',
      '--bundle',
      'a.json',
    ]),
  )
  results.push(
    measure('sign one file (existing data dir)', 5, () => [
      'sign',
      'a.txt',
      '--key',
      'k.pem',
      '--bundle',
      'a.json',
    ]),
  )
  const files = Array.from({ length: 20 }, (_, index) => {
    writeFileSync(join(work, `f${index}.txt`), `file ${index}\n`)
    return `f${index}.txt`
  })
  results.push(measure('sign 20 files in one call', 1, () => ['sign', ...files, '--key', 'k.pem']))
  results.push(measure('trust-root export', 3, () => ['trust-root', 'export', '--out', 'tr.json']))
  results.push(
    measure('verify-bundle, managed key + embedded-log root', 10, () => [
      'verify-bundle',
      '--bundle',
      'a.json',
      '--key',
      'k.pub',
      '--trusted-root',
      'tr.json',
      'a.txt',
    ]),
  )
  results.push(measure('verify 20 files in one call', 3, () => ['verify', ...files, '--key', 'k.pub']))
  const assets = process.env.SIGSTORE_CONFORMANCE_ASSETS
  if (assets) {
    const identity =
      'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
    results.push(
      measure('verify-bundle, keyless public-good (happy-path-v0.3)', 10, () => [
        'verify-bundle',
        '--bundle',
        join(assets, 'happy-path-v0.3', 'bundle.sigstore.json'),
        '--certificate-identity',
        identity,
        '--certificate-oidc-issuer',
        'https://token.actions.githubusercontent.com',
        join(assets, 'a.txt'),
      ]),
    )
  } else {
    console.warn('SIGSTORE_CONFORMANCE_ASSETS unset: the keyless public-good case was NOT measured')
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}

console.log(`node ${process.version}, ${process.platform}/${process.arch}`)
for (const result of results)
  console.log(
    `${result.name.padEnd(52)} ${String(result.meanMs).padStart(6)} ms mean  ${String(result.p50Ms).padStart(6)} ms p50  (${result.runs} runs)`,
  )
console.log(JSON.stringify({ results }))
