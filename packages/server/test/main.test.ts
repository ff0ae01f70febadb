import { existsSync } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { digestOf } from './helpers.js'
import { exitOf, MAIN, run, waitFor } from './main-process.js'

describe('node dist/main.js', () => {
  it('is built (turbo builds before testing)', () => {
    expect(existsSync(MAIN)).toBe(true)
  })

  it('starts a durable server with no configuration, serves, and shuts down cleanly on SIGTERM', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'certus-main-'))
    const processHandle = run({ CERTUS_TRUST_PORT: '0' }, cwd)
    try {
      const url = await waitFor(() => {
        for (const line of processHandle.stdout().split('\n')) {
          if (line.includes('listening')) return (JSON.parse(line) as { url: string }).url
        }
        return undefined
      }, 30_000)
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const sign = await fetch(`${url}/v1/sign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ artifact: digestOf('main'), artifact_type: 'file', subject: 'main.txt' }),
      })
      expect(sign.status).toBe(201)
      // Default: SQLite and keys in ./.certus, keys owner-only.
      expect((await stat(join(cwd, '.certus', 'certus.db'))).isFile()).toBe(true)
      expect((await stat(join(cwd, '.certus', 'signing-key.pem'))).mode & 0o777).toBe(0o600)
      // Audit line: who, what, result — and never the request body.
      const audit = processHandle
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"audit":true'))
        .map((line) => JSON.parse(line))
      expect(audit).toEqual([
        expect.objectContaining({
          action: 'sign',
          caller: 'anonymous',
          artifact: digestOf('main'),
          result: 'success',
        }),
      ])
      expect(processHandle.stdout()).not.toContain('main.txt"}')

      processHandle.child.kill('SIGTERM')
      expect(await exitOf(processHandle.child)).toBe(0)
      expect(processHandle.stdout()).toContain('certus-trust server stopped')
      expect(existsSync(join(cwd, '.certus', 'lock'))).toBe(false)
    } finally {
      processHandle.child.kill('SIGKILL')
      await rm(cwd, { recursive: true, force: true })
    }
  }, 60_000)

  it('refuses to start with bad configuration, naming every bad variable', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'certus-main-'))
    const processHandle = run(
      { CERTUS_TRUST_PORT: 'http', CERTUS_TRUST_HOST: '0.0.0.0', CERTUS_TRUST_LOG_LEVEL: 'chatty' },
      cwd,
    )
    try {
      expect(await exitOf(processHandle.child)).toBe(1)
      const stderr = processHandle.stderr()
      expect(stderr).toContain('SERVER_CONFIG_INVALID')
      expect(stderr).toContain('CERTUS_TRUST_PORT')
      expect(stderr).toContain('CERTUS_TRUST_LOG_LEVEL')
      expect(stderr).not.toMatch(/\n\s+at /)
    } finally {
      await rm(cwd, { recursive: true, force: true })
    }
  }, 30_000)
})
