import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

it('runs with one command (node --import tsx src/main.ts) and verifies the SBOM', async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
    (done) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/main.ts'],
        { cwd: root, timeout: 60_000 },
        (error, out, err) =>
          done({ code: error ? ((error.code as number) ?? 1) : 0, stdout: out, stderr: err }),
      )
    },
  )
  expect(code, stderr).toBe(0)
  expect(stdout).toMatch(/signed SBOM sha256:[0-9a-f]{64} \(log index 0\)/)
  expect(stdout).toMatch(/attested SBOM for my-app sha256:[0-9a-f]{64} \(log index 1\)/)
  expect(stdout).toContain('verified SBOM signature')
  expect(stdout).toContain('verified SBOM attestation: predicate https://cyclonedx.org/bom, subject my-app')
  expect(stdout).toContain('tampered SBOM rejected: VERIFIER_')
})
