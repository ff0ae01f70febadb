import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The 70 public Sigstore conformance cases (bundle-verify), each as artifact path and as sha256 digest, driven through
// the built `node dist/bin.js` by the same runner CI uses (shared/tools/conformance-run, or CERTUS_CONFORMANCE_RUNNER),
// which mirrors the upstream suite's argument order. Its JSON report gives each check's exit status and stderr.
const ASSETS = process.env.SIGSTORE_CONFORMANCE_ASSETS
const here = dirname(fileURLToPath(import.meta.url))
const BIN = join(here, '..', 'dist', 'bin.js')
const RUNNER =
  process.env.CERTUS_CONFORMANCE_RUNNER ?? resolve(here, '../../../../shared/tools/conformance-run')

if (!ASSETS) {
  console.warn(
    '\n*** conformance (dist/bin.js): SIGSTORE_CONFORMANCE_ASSETS is not set — these conformance tests DID NOT RUN ***\n',
  )
}

/** One check of the runner's `--json` report (the fields we assert on). */
interface CheckResult {
  case: string
  variant: 'PATH' | 'DIGEST'
  expect: 'pass' | 'fail'
  ok: boolean
  exitCode: number | null
  stderr: string
}

interface Report {
  total: number
  passed: number
  failed: number
  results: CheckResult[]
}

const caseNames = ASSETS
  ? readdirSync(ASSETS, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort()
  : []
const checks = caseNames.flatMap((name) =>
  (['PATH', 'DIGEST'] as const).map((variant) => ({ label: `${name} [${variant}]`, name, variant })),
)

function runRunner(reportPath: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = [RUNNER, '--entrypoint', `"${process.execPath}" "${BIN}"`, '--assets', ASSETS!]
  return new Promise((done) => {
    execFile(
      process.execPath,
      [...args, '--jobs', '2', '--json', reportPath],
      { maxBuffer: 32 * 1024 * 1024, timeout: 590_000 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

describe.skipIf(!ASSETS)('Sigstore conformance bundle-verify cases through dist/bin.js', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'certus-conformance-'))
  let report: Report
  let byLabel: Map<string, CheckResult>

  beforeAll(async () => {
    if (!existsSync(BIN))
      throw new Error(`${BIN} is missing: build the package (pnpm --filter @certus-trust/conformance build)`)
    if (!existsSync(RUNNER)) throw new Error(`conformance runner not found at ${RUNNER}`)
    const reportPath = join(workDir, 'report.json')
    const run = await runRunner(reportPath)
    if (!existsSync(reportPath))
      throw new Error(`conformance-run wrote no report (exit ${run.code}): ${run.stderr}`)
    report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report
    byLabel = new Map(report.results.map((result) => [`${result.case} [${result.variant}]`, result]))
  }, 600_000)

  afterAll(() => rmSync(workDir, { recursive: true, force: true }))

  it('covers all 70 cases twice, and the runner reports 0 failed', () => {
    expect(checks.length).toBe(140)
    expect(report.total).toBe(140)
    expect(report.failed).toBe(0)
  })

  it.each(checks)('$label', ({ label }) => {
    const result = byLabel.get(label)
    expect(result, `${label} is missing from the runner's report`).toBeDefined()
    if (result!.expect === 'fail') {
      // A rejection must be a typed verification failure (exit 1 naming a code), never a crash or usage error.
      expect(result!.exitCode, result!.stderr).toBe(1)
      expect(result!.stderr).toMatch(/VERIFIER_[A-Z_]+/)
    } else {
      expect(result!.exitCode, result!.stderr).toBe(0)
    }
  })
})
