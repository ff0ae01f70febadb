import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certus, json, tempDir } from './helpers.js'

describe('certus keygen', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  beforeAll(async () => {
    dir = await tempDir()
  })
  afterAll(() => dir.cleanup())

  it.each([
    ['ecdsa-p256', 'ec', 'prime256v1'],
    ['ecdsa-p384', 'ec', 'secp384r1'],
    ['ed25519', 'ed25519', undefined],
    ['rsa', 'rsa', undefined],
  ])('writes a working %s key pair with an owner-only private key', async (algorithm, type, curve) => {
    const privatePath = join(dir.path, `${algorithm}.pem`)
    const publicPath = join(dir.path, `${algorithm}.pub`)
    const result = await certus([
      'keygen',
      '--algorithm',
      algorithm,
      '--private-key',
      privatePath,
      '--public-key',
      publicPath,
    ])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`generated ${algorithm} key pair`)
    const privateKey = createPrivateKey(await readFile(privatePath, 'utf8'))
    const publicKey = createPublicKey(await readFile(publicPath, 'utf8'))
    expect(privateKey.asymmetricKeyType).toBe(type)
    if (curve) expect(privateKey.asymmetricKeyDetails?.namedCurve).toBe(curve)
    expect((await stat(privatePath)).mode & 0o777).toBe(0o600)
    // The two files belong together: a signature by one verifies with the other.
    const hash = type === 'ed25519' ? null : 'sha256'
    const signature = sign(hash, Buffer.from('hello'), privateKey)
    expect(verify(hash, Buffer.from('hello'), publicKey, signature)).toBe(true)
  })

  it('prints a JSON document with --json', async () => {
    const result = await certus([
      'keygen',
      '--algorithm',
      'ed25519',
      '--private-key',
      join(dir.path, 'j.pem'),
      '--public-key',
      join(dir.path, 'j.pub'),
      '--json',
    ])
    expect(result.code).toBe(0)
    const body = json<{ ok: boolean; algorithm: string; keyId: string }>(result)
    expect(body.ok).toBe(true)
    expect(body.algorithm).toBe('ed25519')
    expect(body.keyId).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it('refuses to replace an existing key without --force (exit 3), and replaces it with --force', async () => {
    const privatePath = join(dir.path, 'existing.pem')
    const publicPath = join(dir.path, 'existing.pub')
    await writeFile(privatePath, 'keep me')
    const refused = await certus(['keygen', '--private-key', privatePath, '--public-key', publicPath])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain('CLI_OUTPUT_FAILED')
    expect(await readFile(privatePath, 'utf8')).toBe('keep me')
    const forced = await certus([
      'keygen',
      '--private-key',
      privatePath,
      '--public-key',
      publicPath,
      '--force',
    ])
    expect(forced.code).toBe(0)
    expect(await readFile(privatePath, 'utf8')).toContain('BEGIN PRIVATE KEY')
  })

  it('rejects an unknown algorithm and missing options as usage errors (exit 2) without a stack trace', async () => {
    const unknown = await certus(
      ['keygen', '--algorithm', 'dsa', '--private-key', 'a', '--public-key', 'b'],
      { cwd: dir.path },
    )
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('dsa')
    expect(unknown.stderr).not.toMatch(/\n\s+at /)
    const missing = await certus(['keygen', '--algorithm', 'rsa'], { cwd: dir.path })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--private-key')
  })

  it('has --help', async () => {
    const help = await certus(['keygen', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--algorithm')
  })
})
