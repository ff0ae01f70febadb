import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type FakeAwsKms, startFakeAwsKms } from '@certus-trust/kms-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certus, json, tempDir } from './helpers.js'

// The built CLI with the real AWS SDK, credentials from the environment as in production, against a local
// stand-in for the KMS API (awskms://127.0.0.1:PORT/… is spoken to over http, as for LocalStack).
const env = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'test-secret', AWS_REGION: 'eu-west-1' }
// Opening the embedded log's data directory is slow on a loaded machine; each command gets room.
const slow = { env, timeout: 240_000 }

describe('KMS keys on the command line (awskms://)', () => {
  let kms: FakeAwsKms
  let dir: { path: string; cleanup: () => Promise<void> }
  let p: (name: string) => string
  let uri: string

  beforeAll(async () => {
    kms = await startFakeAwsKms()
    dir = await tempDir()
    p = (name) => join(dir.path, name)
    uri = `awskms://127.0.0.1:${kms.port}/alias/cli-release`
    await writeFile(p('a.txt'), 'the artifact\n')
    await writeFile(p('predicate.json'), '{"buildType":"test"}\n')
  })
  afterAll(async () => {
    await kms.close()
    await dir.cleanup()
  })

  it('keygen --kms creates the key in the KMS and writes only its public key', async () => {
    const created = await certus(
      ['keygen', '--kms', uri, '--algorithm', 'ecdsa-p384', '--public-key', p('kms.pub'), '--json'],
      { env },
    )
    expect(created.code, created.stderr).toBe(0)
    expect(json(created)).toMatchObject({ ok: true, kms: uri, algorithm: 'ecdsa-p384' })
    expect(kms.aliases.has('alias/cli-release')).toBe(true)
    const again = await certus(['keygen', '--kms', uri, '--private-key', p('x.pem')], { env })
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('--private-key')
  })

  it('sign --key URI and attest --key URI produce bundles that verify with the public key', async () => {
    const signed = await certus(['sign', p('a.txt'), '--key', uri, '--data-dir', p('data'), '--json'], slow)
    expect(signed.code, signed.stderr).toBe(0)
    const attested = await certus(
      [
        'attest',
        p('a.txt'),
        '--predicate',
        p('predicate.json'),
        '--predicate-type',
        'https://example.com/test-predicate/v1',
        '--key',
        uri,
        '--data-dir',
        p('data'),
      ],
      slow,
    )
    expect(attested.code, attested.stderr).toBe(0)
    const verified = await certus(
      ['verify', p('a.txt'), '--key', p('kms.pub'), '--data-dir', p('data')],
      slow,
    )
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
  }, 720_000)

  it('fails before signing, with typed errors, for a missing key and a denied one', async () => {
    const missing = await certus(
      ['sign', p('a.txt'), '--key', `awskms://127.0.0.1:${kms.port}/alias/missing`, '--data-dir', p('data')],
      { env },
    )
    expect(missing.code).toBe(3)
    expect(missing.stderr).toContain('KMS_NOT_FOUND')
    kms.failures.push({ type: 'AccessDeniedException' })
    const denied = await certus(['sign', p('a.txt'), '--key', uri, '--data-dir', p('data')], { env })
    expect(denied.code).toBe(4)
    expect(denied.stderr).toContain('KMS_PERMISSION_DENIED')
    const badUri = await certus(['sign', p('a.txt'), '--key', 'awskms://', '--data-dir', p('data')], { env })
    expect(badUri.code).toBe(2)
    expect(badUri.stderr).toContain('KMS_INVALID_URI')
  })
})
