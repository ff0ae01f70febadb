import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const assets = process.env.SIGSTORE_CONFORMANCE_ASSETS
const skip = !assets || !existsSync(assets)
if (skip) {
  console.warn(
    '\n*** @example/verify-public-good NOT RUN: SIGSTORE_CONFORMANCE_ASSETS is unset or missing. ***\n',
  )
}

function run(env: Record<string, string | undefined>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts'],
      { cwd: root, timeout: 60_000, env: { ...process.env, ...env } },
      (error, out, err) =>
        done({ code: error ? ((error.code as number) ?? 1) : 0, stdout: out, stderr: err }),
    )
  })
}

describe.skipIf(skip)('verify a public-good bundle offline', () => {
  it('runs with one command and verifies happy-path-v0.3 against the embedded production root', async () => {
    const { code, stdout, stderr } = await run({})
    expect(code, stderr).toBe(0)
    expect(stdout).toContain('verified: signed by https://github.com/sigstore-conformance/')
    expect(stdout).toContain('log entry:  https://rekor.sigstore.dev index')
    expect(stdout).toMatch(/checks: .*certificate-chain.*sct/)
    expect(stdout).toContain('wrong identity rejected: VERIFIER_IDENTITY_MISMATCH')
  })
})

it('says loudly that it did not run when SIGSTORE_CONFORMANCE_ASSETS is unset', async () => {
  const { code, stderr } = await run({ SIGSTORE_CONFORMANCE_ASSETS: undefined })
  expect(code).toBe(2)
  expect(stderr).toContain('did NOT run')
})
