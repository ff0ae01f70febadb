import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

function run(cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/main.ts')],
      { cwd, timeout: 60_000 },
      (error, out, err) =>
        done({ code: error ? ((error.code as number) ?? 1) : 0, stdout: out, stderr: err }),
    )
  })
}

it('verifies the vendored happy-path-v0.3 bundle against the embedded production root', async () => {
  const { code, stdout, stderr } = await run(root)
  expect(code, stderr).toBe(0)
  expect(stdout).toContain('verified: signed by https://github.com/sigstore-conformance/')
  expect(stdout).toContain('log entry:  https://rekor.sigstore.dev index')
  expect(stdout).toMatch(/checks: .*certificate-chain.*sct/)
  expect(stdout).toContain('wrong identity rejected: VERIFIER_IDENTITY_MISMATCH')
})
