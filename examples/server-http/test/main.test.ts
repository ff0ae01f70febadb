import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

it('runs with one command: starts the server on loopback, signs, checks the proof offline and verifies over HTTP', async () => {
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
  expect(stdout).toMatch(/server listening on http:\/\/127\.0\.0\.1:\d+/)
  expect(stdout).toContain('GET /v1/health -> 200 ok')
  expect(stdout).toMatch(/POST \/v1\/sign -> 20[01], entry [0-9a-f]{24}… at log index 0/)
  expect(stdout).toContain('inclusion proof verified offline (tree size 1, checkpoint signed by the log)')
  expect(stdout).toMatch(/POST \/v1\/verify -> valid: true, signer sha256:[0-9a-f]{64}, log index 0/)
  expect(stdout).toMatch(/POST \/v1\/verify \(other artifact\) -> 200, valid: false, failure VERIFIER_/)
  expect(stdout).toContain('server stopped')
})
