import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, certus, json, tempDir } from './helpers.js'

/*
 * `certus verify` as cosign's `verify-blob`: its trust material is explicit (named in the output, never only
 * whatever `.certus` the working directory holds), a named data directory must exist, batches end with a summary,
 * and integers are JSON numbers in every command's --json.
 */

interface VerifyJson {
  ok: boolean
  trust: Array<{ kind: string; path?: string }>
  results: Array<{
    artifact: string
    ok: boolean
    logIndex?: number
    integratedTime?: number
    error?: { code: string }
  }>
  summary: { total: number; succeeded: number; failed: number; line: string }
}

describe('certus verify (cosign-style) and --json everywhere (built bin)', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  let p: (name: string) => string
  const data = () => p('data')

  beforeAll(async () => {
    dir = await tempDir()
    p = (name) => join(dir.path, name)
    await writeFile(p('a.txt'), 'artifact a\n')
    await writeFile(p('b.txt'), 'artifact b\n')
    const keygen = await certus(['keygen', '--private-key', p('k.pem'), '--public-key', p('k.pub')])
    expect(keygen.code, keygen.stderr).toBe(0)
    const sign = await certus(['sign', p('a.txt'), p('b.txt'), '--key', p('k.pem'), '--data-dir', data()])
    expect(sign.code, sign.stderr).toBe(0)
    // The batch ends with its summary on stderr; stdout keeps one line per file.
    expect(sign.stderr).toContain('certus: 2 signed / 0 failed')
    expect(sign.stdout.trim().split('\n')).toHaveLength(2)
  })
  afterAll(() => dir.cleanup())

  it('verifies a batch with public-good plus the named data directory, and names both', async () => {
    const result = await certus(['verify', p('a.txt'), p('b.txt'), '--key', p('k.pub'), '--data-dir', data()])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain('public-good')
    expect(result.stderr).toContain(`data directory ${data()}`)
    expect(result.stderr.trim().split('\n').at(-1)).toBe('certus: 2 verified / 0 failed')

    const asJson = await certus([
      'verify',
      p('a.txt'),
      p('b.txt'),
      '--key',
      p('k.pub'),
      '--data-dir',
      data(),
      '--json',
    ])
    const report = json<VerifyJson>(asJson)
    expect(report.ok).toBe(true)
    expect(report.trust.map((source) => source.kind)).toEqual(['public-good', 'data-dir'])
    expect(report.summary).toMatchObject({ total: 2, succeeded: 2, failed: 0 })
    for (const item of report.results) {
      expect(typeof item.logIndex).toBe('number')
      expect(typeof item.integratedTime).toBe('number')
    }
  })

  it('ends a batch with a failure in it with "N verified / M failed" and the first failure\'s status', async () => {
    await writeFile(p('c.txt'), 'never signed\n')
    const result = await certus([
      'verify',
      p('a.txt'),
      p('c.txt'),
      p('missing.txt'),
      '--key',
      p('k.pub'),
      '--data-dir',
      data(),
    ])
    expect(result.code).toBe(3) // c.txt has no bundle: bad input
    expect(result.stdout).toMatch(/^OK {6}.*a\.txt/m)
    expect(result.stdout).toMatch(/^FAILED {2}.*c\.txt/m)
    expect(result.stderr.trim().split('\n').at(-1)).toBe('certus: 1 verified / 2 failed')
    const report = json<VerifyJson>(
      await certus(['verify', p('a.txt'), p('c.txt'), '--key', p('k.pub'), '--data-dir', data(), '--json']),
    )
    expect(report.ok).toBe(false)
    expect(report.summary).toMatchObject({ total: 2, succeeded: 1, failed: 1, line: '1 verified / 1 failed' })
    expect(report.results[1]?.error?.code).toBe('CLI_FILE_NOT_FOUND')
  })

  it('never trusts a data directory it was not given: elsewhere only public-good applies, and rejects', async () => {
    const elsewhere = p('elsewhere')
    await mkdir(elsewhere)
    const result = await certus(['verify', p('a.txt'), '--key', p('k.pub'), '--json'], {
      cwd: elsewhere,
      env: { CERTUS_TRUST_DATA_DIR: undefined },
    })
    expect(result.code).toBe(1)
    const report = json<VerifyJson>(result)
    expect(report.trust).toEqual([expect.objectContaining({ kind: 'public-good' })])
    // The same through $CERTUS_TRUST_DATA_DIR verifies, and names the directory.
    const viaEnv = await certus(['verify', p('a.txt'), '--key', p('k.pub'), '--json'], {
      cwd: elsewhere,
      env: { CERTUS_TRUST_DATA_DIR: data() },
    })
    expect(viaEnv.code, viaEnv.stderr).toBe(0)
    expect(json<VerifyJson>(viaEnv).trust[1]).toMatchObject({ kind: 'data-dir', path: data() })
  })

  it('refuses a --data-dir (or $CERTUS_TRUST_DATA_DIR) that does not exist instead of falling back', async () => {
    const flag = await certus(['verify', p('a.txt'), '--key', p('k.pub'), '--data-dir', p('nope'), '--json'])
    expect(flag.code).toBe(4)
    expect(json(flag)).toMatchObject({ ok: false, error: { code: 'CLI_DATA_DIR' } })
    const env = await certus(['verify', p('a.txt'), '--key', p('k.pub')], {
      env: { CERTUS_TRUST_DATA_DIR: p('nope') },
    })
    expect(env.code).toBe(4)
    expect(env.stderr).toContain('CERTUS_TRUST_DATA_DIR')
    // --trusted-root is exact: the exported root alone verifies.
    const exported = await certus(['trust-root', 'export', '--out', p('root.json'), '--data-dir', data()])
    expect(exported.code, exported.stderr).toBe(0)
    const exact = await certus([
      'verify',
      p('a.txt'),
      '--key',
      p('k.pub'),
      '--trusted-root',
      p('root.json'),
      '--json',
    ])
    expect(exact.code, exact.stderr).toBe(0)
    expect(json<VerifyJson>(exact).trust).toEqual([{ kind: 'trusted-root', path: p('root.json') }])
  })

  it('documents unanchored regexps and the exit codes in --help', async () => {
    const help = await certus(['verify', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--certificate-identity-regexp')
    expect(help.stdout).toContain('--certificate-oidc-issuer-regexp')
    expect(help.stdout).toMatch(/unanchored/)
    expect(help.stdout).toContain('^…$')
    expect(help.stdout).toMatch(/Exit status: 0 every artifact verified; 1 /)
  })

  it('prints usage errors as one JSON document with --json (commander errors and our own)', async () => {
    const unknown = await certus(['verify', p('a.txt'), '--bogus', '--json'])
    expect(unknown.code).toBe(2)
    expect(json(unknown)).toMatchObject({
      ok: false,
      error: { code: 'CLI_USAGE', message: "unknown option '--bogus'" },
    })
    const missing = await certus(['sign', '--json'])
    expect(missing.code).toBe(2)
    expect(json(missing)).toMatchObject({ error: { code: 'CLI_USAGE' } })
    const noCommand = await certus(['--json'])
    expect(noCommand.code).toBe(2)
    expect(json(noCommand)).toMatchObject({ error: { code: 'CLI_USAGE' } })
    const noPolicy = await certus(['verify', p('a.txt'), '--json'])
    expect(noPolicy.code).toBe(2)
    expect(json(noPolicy)).toMatchObject({ error: { code: 'CLI_USAGE' } })
    const badRegexp = await certus([
      'verify',
      p('a.txt'),
      '--certificate-identity-regexp',
      '(',
      '--certificate-oidc-issuer',
      'https://issuer.example',
      '--json',
    ])
    expect(badRegexp.code).toBe(2)
    expect(json(badRegexp)).toMatchObject({ error: { code: 'CLI_USAGE' } })
  })

  it('gives verify-bundle --json without changing the conformance protocol', async () => {
    const root = p('root.json')
    const ok = await certus([
      'verify-bundle',
      '--bundle',
      `${p('a.txt')}.sigstore.json`,
      '--key',
      p('k.pub'),
      '--trusted-root',
      root,
      p('a.txt'),
      '--json',
    ])
    expect(ok.code, ok.stderr).toBe(0)
    expect(json(ok)).toMatchObject({ ok: true, exitCode: 0 })
    const rejected = await certus([
      'verify-bundle',
      '--json',
      '--bundle',
      `${p('a.txt')}.sigstore.json`,
      '--key',
      p('k.pub'),
      '--trusted-root',
      root,
      p('b.txt'),
    ])
    expect(rejected.code).toBe(1)
    expect(json(rejected)).toMatchObject({
      ok: false,
      exitCode: 1,
      error: { code: 'VERIFIER_ARTIFACT_MISMATCH' },
    })
    const usage = await certus(['verify-bundle', '--json', '--key', p('k.pub'), p('a.txt')])
    expect(usage.code).toBe(2)
    expect(json(usage)).toMatchObject({ ok: false, error: { code: 'CLI_USAGE' } })
  })

  it('uses JSON numbers for logIndex, integratedTime and tree sizes in every command', async () => {
    const outputs = [
      await certus([
        'sign',
        p('a.txt'),
        '--key',
        p('k.pem'),
        '--bundle',
        p('again.json'),
        '--data-dir',
        data(),
        '--json',
      ]),
      await certus(['verify', p('a.txt'), '--key', p('k.pub'), '--data-dir', data(), '--json']),
      await certus(['log', 'get', '--index', '0', '--data-dir', data(), '--json']),
      await certus(['log', 'proof', '--index', '0', '--data-dir', data(), '--json']),
      await certus(['log', 'info', '--data-dir', data(), '--json']),
    ]
    const seen = new Set<string>()
    const walk = (value: unknown, path: string): void => {
      if (Array.isArray(value)) {
        for (const item of value) walk(item, path)
      } else if (typeof value === 'object' && value !== null)
        for (const [key, inner] of Object.entries(value)) {
          if (/^(logIndex|integratedTime|treeSize)$/.test(key)) {
            seen.add(key)
            expect(typeof inner, `${path}.${key}`).toBe('number')
          }
          walk(inner, `${path}.${key}`)
        }
    }
    for (const output of outputs) {
      expect(output.code, output.stderr).toBe(0)
      walk(json(output), 'output')
    }
    expect([...seen].sort()).toEqual(['integratedTime', 'logIndex', 'treeSize'])
  })
})

describe('certus serve --json (built bin)', () => {
  it('prints one JSON document on stdout once it listens, and exits cleanly on SIGTERM', async () => {
    const dir = await tempDir()
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--storage', 'memory', '--data-dir', dir.path, '--json'],
      { env: { ...process.env, CERTUS_TRUST_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    try {
      const ready = await new Promise<{ ok: boolean; url: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 60_000)
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString()
          try {
            const document = JSON.parse(stdout) as { ok: boolean; url: string }
            clearTimeout(timer)
            resolve(document)
          } catch {
            // not complete yet
          }
        })
        child.once('exit', (code) => reject(new Error(`serve exited early (${code}):\n${stderr}`)))
      })
      expect(ready).toMatchObject({ ok: true, storage: 'memory' })
      expect((await fetch(`${ready.url}/v1/health`)).status).toBe(200)
    } finally {
      child.kill('SIGTERM')
      const code = await new Promise((resolve) =>
        child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve),
      )
      await dir.cleanup()
      expect(code).toBe(0)
    }
    // Still exactly one document: shutdown notes went to stderr.
    expect(() => JSON.parse(stdout)).not.toThrow()
  })
})
