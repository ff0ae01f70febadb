import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BIN, certus, json, tempDir } from './helpers.js'

// The public Sigstore conformance cases, driven through the built `certus` exactly as the upstream suite
// drives a client. CI (.ci/run) sets SIGSTORE_CONFORMANCE_ASSETS; without it this suite says it did not run.
const assets = process.env.SIGSTORE_CONFORMANCE_ASSETS
const runner =
  process.env.CERTUS_CONFORMANCE_RUNNER ??
  resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/tools/conformance-run')
const skip = !assets || !existsSync(assets)

if (skip) {
  console.warn(
    '\n*** conformance suite NOT RUN: SIGSTORE_CONFORMANCE_ASSETS is unset or missing' +
      ` (${assets ?? 'unset'}). Set it to shared/conformance/bundle-verify to run the 140 checks. ***\n`,
  )
}

describe.skipIf(skip)('Sigstore conformance (bundle-verify) through node dist/bin.js', () => {
  it('passes every check (conformance-run reports 0 failed)', { timeout: 600_000 }, async () => {
    expect(existsSync(runner), `conformance runner not found at ${runner}`).toBe(true)
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (done) => {
        execFile(
          process.execPath,
          [
            runner,
            '--entrypoint',
            `"${process.execPath}" "${BIN}"`,
            '--assets',
            assets as string,
            '--jobs',
            '2',
          ],
          { maxBuffer: 32 * 1024 * 1024, timeout: 590_000 },
          (error, out, err) =>
            done({ code: error ? ((error.code as number) ?? 1) : 0, stdout: out, stderr: err }),
        )
      },
    )
    const lines = stdout.trim().split('\n')
    const last = lines[lines.length - 1] ?? ''
    const failures = lines.filter((line) => /\bFAIL/i.test(line))
    expect(last, `${failures.join('\n')}\n${stderr}`).toMatch(/^conformance: \d+ passed, 0 failed$/)
    expect(Number(/(\d+) passed/.exec(last)?.[1])).toBeGreaterThan(0)
    expect(code).toBe(0)
  })

  it('`certus verify` accepts a public-good keyless bundle offline with an exact or regexp identity, and rejects another identity', async () => {
    const bundle = `${assets}/happy-path-v0.3/bundle.sigstore.json`
    const artifact = `${assets}/a.txt`
    const identity =
      'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
    const issuer = 'https://token.actions.githubusercontent.com'
    const empty = await tempDir()
    try {
      const exact = await certus(
        [
          'verify',
          artifact,
          '--bundle',
          bundle,
          '--certificate-identity',
          identity,
          '--certificate-oidc-issuer',
          issuer,
          '--json',
        ],
        { cwd: empty.path },
      )
      expect(exact.code, exact.stderr).toBe(0)
      expect(json<{ results: Array<{ ok: boolean; signer: string }> }>(exact).results[0]).toMatchObject({
        ok: true,
        signer: identity,
        issuer,
      })
      const regexp = await certus(
        [
          'verify',
          artifact,
          '--bundle',
          bundle,
          '--certificate-identity-regexp',
          '^https://github\\.com/sigstore-conformance/.*',
          '--certificate-oidc-issuer',
          issuer,
        ],
        { cwd: empty.path },
      )
      expect(regexp.code, regexp.stderr).toBe(0)
      const other = await certus(
        [
          'verify',
          artifact,
          '--bundle',
          bundle,
          '--certificate-identity',
          'https://example.com/other',
          '--certificate-oidc-issuer',
          issuer,
        ],
        { cwd: empty.path },
      )
      expect(other.code).toBe(1)
      expect(other.stderr).toContain('VERIFIER_IDENTITY_MISMATCH')
    } finally {
      await empty.cleanup()
    }
  })
})
