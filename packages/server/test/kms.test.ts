import { createPublicKey } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FakeAwsKms, startFakeAwsKms } from '@certus-trust/kms-testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createServerDeps, loadConfig, startServer } from '../src/index.js'
import { digestOf } from './helpers.js'

// CERTUS_TRUST_SIGNING_KEY=awskms://… : the real AWS SDK, credentials from the environment as in production,
// against a local stand-in for the KMS API.
let kms: FakeAwsKms
let dataDir: string

beforeAll(async () => {
  kms = await startFakeAwsKms()
  kms.addKey('ECC_NIST_P256', 'alias/server')
  dataDir = await mkdtemp(join(tmpdir(), 'certus-kms-'))
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST')
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret')
  vi.stubEnv('AWS_REGION', 'eu-west-1')
})
afterAll(async () => {
  vi.unstubAllEnvs()
  await kms.close()
  await rm(dataDir, { recursive: true, force: true })
})

const configFor = (key: string) =>
  loadConfig({
    CERTUS_TRUST_PORT: '0',
    CERTUS_TRUST_STORAGE: 'memory',
    CERTUS_TRUST_DATA_DIR: dataDir,
    CERTUS_TRUST_LOG_LEVEL: 'silent',
    CERTUS_TRUST_SIGNING_KEY: key,
  })

describe('CERTUS_TRUST_SIGNING_KEY=<KMS URI>', () => {
  it('signs with the KMS key and maps KMS failures to gateway statuses', async () => {
    const uri = `awskms://127.0.0.1:${kms.port}/alias/server`
    const config = configFor(uri)
    expect(config.signingKeyUri).toBe(uri)
    const server = await startServer(config, { deps: await createServerDeps(config) })
    try {
      const sign = (subject: string) =>
        fetch(`${server.url}/v1/sign`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ artifact: digestOf(subject), artifact_type: 'file', subject }),
        })
      const response = await sign('kms-signed')
      expect(response.status).toBe(201)
      const signed = (await response.json()) as { public_key: string; bundle: unknown; signature: string }
      const kmsKey = [...kms.keys.values()][0]!.publicKey
      expect(createPublicKey(signed.public_key).equals(kmsKey)).toBe(true)
      const verified = await fetch(`${server.url}/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ artifact: digestOf('kms-signed'), bundle: signed.bundle }),
      })
      expect(await verified.json()).toMatchObject({ valid: true })

      kms.failures.push({ type: 'AccessDeniedException' })
      const denied = await sign('denied')
      expect(denied.status).toBe(502)
      expect(await denied.json()).toMatchObject({ error: { code: 'SIGNER_SIGNING_FAILED' } })
    } finally {
      await server.close()
    }
  })

  it('refuses to start with a key the KMS does not have', async () => {
    await expect(
      createServerDeps(configFor(`awskms://127.0.0.1:${kms.port}/alias/missing`)),
    ).rejects.toMatchObject({
      code: 'KMS_NOT_FOUND',
    })
    // A path that merely contains "://" stays a file path.
    expect(configFor('./keys/awskms-key.pem').signingKeyUri).toBeUndefined()
  })
})
