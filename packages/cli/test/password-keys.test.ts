import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certus, json, tempDir } from './helpers.js'

/*
 * Password-protected private keys, as cosign's: keygen --password-stdin writes encrypted PKCS#8, sign and attest
 * read the password from stdin or $CERTUS_PASSWORD, and a missing or wrong password is CLI_KEY_PASSWORD (exit 3)
 * — with the password in no output.
 */

const PASSWORD = 'correct horse battery staple 7d1f'
const WRONG = 'not-the-password-93ab'

describe('encrypted private keys (built bin)', () => {
  let dir: { path: string; cleanup: () => Promise<void> }
  let p: (name: string) => string

  beforeAll(async () => {
    dir = await tempDir()
    p = (name) => join(dir.path, name)
    await writeFile(p('a.txt'), 'artifact\n')
    await writeFile(
      p('provenance.json'),
      JSON.stringify({ builder: { id: 'https://ci.example/b' }, buildType: 'https://ci.example/t' }),
    )
  })
  afterAll(() => dir.cleanup())

  it('keygen --password-stdin writes an ENCRYPTED PRIVATE KEY and says so', async () => {
    const result = await certus(
      ['keygen', '--private-key', p('k.pem'), '--public-key', p('k.pub'), '--password-stdin', '--json'],
      { input: `${PASSWORD}\n` },
    )
    expect(result.code, result.stderr).toBe(0)
    expect(json(result)).toMatchObject({ ok: true, encrypted: true })
    const pem = await readFile(p('k.pem'), 'utf8')
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/)
    expect(result.stdout + result.stderr).not.toContain(PASSWORD)
  })

  it('signs with the password from stdin, and from $CERTUS_PASSWORD', async () => {
    const stdin = await certus(
      [
        'sign',
        p('a.txt'),
        '--key',
        p('k.pem'),
        '--password-stdin',
        '--bundle',
        p('a1.json'),
        '--data-dir',
        p('data'),
        '--json',
      ],
      { input: PASSWORD },
    )
    expect(stdin.code, stdin.stderr).toBe(0)
    const env = await certus(
      ['sign', p('a.txt'), '--key', p('k.pem'), '--bundle', p('a2.json'), '--data-dir', p('data')],
      {
        env: { CERTUS_PASSWORD: PASSWORD },
      },
    )
    expect(env.code, env.stderr).toBe(0)
    const verify = await certus([
      'verify',
      p('a.txt'),
      '--bundle',
      p('a2.json'),
      '--key',
      p('k.pub'),
      '--data-dir',
      p('data'),
    ])
    expect(verify.code, verify.stderr).toBe(0)
  })

  it('attests with the encrypted key (predicate type inferred: SLSA provenance v0.2)', async () => {
    const result = await certus(
      [
        'attest',
        p('a.txt'),
        '--predicate',
        p('provenance.json'),
        '--key',
        p('k.pem'),
        '--password-stdin',
        '--data-dir',
        p('data'),
        '--json',
      ],
      { input: PASSWORD },
    )
    expect(result.code, result.stderr).toBe(0)
    expect(json(result)).toMatchObject({
      predicateType: 'https://slsa.dev/provenance/v0.2',
      predicateTypeSource: 'inferred',
    })
  })

  it('a wrong or missing password is CLI_KEY_PASSWORD (exit 3), and the password is never printed', async () => {
    const wrong = await certus(
      ['sign', p('a.txt'), '--key', p('k.pem'), '--password-stdin', '--data-dir', p('data'), '--json'],
      {
        input: WRONG,
      },
    )
    expect(wrong.code).toBe(3)
    expect(json(wrong)).toMatchObject({ ok: false, error: { code: 'CLI_KEY_PASSWORD' } })
    expect(wrong.stderr).toContain('the password from --password-stdin is wrong')
    expect(wrong.stdout + wrong.stderr).not.toContain(WRONG)

    const wrongEnv = await certus(
      [
        'attest',
        p('a.txt'),
        '--predicate',
        p('provenance.json'),
        '--key',
        p('k.pem'),
        '--data-dir',
        p('data'),
      ],
      {
        env: { CERTUS_PASSWORD: WRONG, CERTUS_DEBUG: '1' },
      },
    )
    expect(wrongEnv.code).toBe(3)
    expect(wrongEnv.stderr).toContain('CERTUS_PASSWORD is wrong')
    expect(wrongEnv.stdout + wrongEnv.stderr).not.toContain(WRONG)

    const missing = await certus(['sign', p('a.txt'), '--key', p('k.pem'), '--data-dir', p('data')], {
      env: { CERTUS_PASSWORD: undefined, CERTUS_TRUST_KEY_PASSPHRASE: undefined },
    })
    expect(missing.code).toBe(3)
    expect(missing.stderr).toMatch(
      /is encrypted: give its password with --password-stdin or CERTUS_PASSWORD \(CLI_KEY_PASSWORD\)/,
    )

    const empty = await certus(
      ['keygen', '--private-key', p('e.pem'), '--public-key', p('e.pub'), '--password-stdin'],
      { input: '\n' },
    )
    expect(empty.code).toBe(2)
    expect(empty.stderr).toContain('standard input held no password')
  })
})
