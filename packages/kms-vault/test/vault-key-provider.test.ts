import { KmsError, type KmsKeyProvider } from '@certus-trust/kms'
import { type FakeVault, signAndVerifyUpstream, startFakeVault } from '@certus-trust/kms-testing'
import { createSigner } from '@certus-trust/signer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createKeyFromUri,
  keyProviderFromUri,
  parseVaultKeyUri,
  type VaultKeyProviderOptions,
} from '../src/index.js'

const artifact = Buffer.from('certus trust vault artifact\n'.repeat(20))
let vault: FakeVault
const env = () => ({ VAULT_ADDR: vault.url, VAULT_TOKEN: vault.token })
const provider = (name: string, options: VaultKeyProviderOptions = {}): KmsKeyProvider =>
  keyProviderFromUri(`hashivault://${name}`, { env: env(), baseDelayMs: 1, ...options })

beforeAll(async () => {
  vault = await startFakeVault()
})
afterAll(async () => {
  await vault.close()
})

describe('hashivault:// URIs and settings', () => {
  it('parses a transit key name and refuses anything else', () => {
    expect(parseVaultKeyUri('hashivault://release-key_1.0')).toEqual({ keyName: 'release-key_1.0' })
    for (const bad of ['hashivault://', 'hashivault://a/b', 'hashivault:///x', 'awskms:///x']) {
      expect(() => parseVaultKeyUri(bad), bad).toThrowError(
        expect.objectContaining({ code: 'KMS_INVALID_URI' }),
      )
    }
  })

  it('reads VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE and TRANSIT_SECRET_ENGINE_PATH like cosign', async () => {
    vault.addKey('settings', 'ecdsa-p256')
    const seen: Array<{ url: string; headers: Headers }> = []
    const key = keyProviderFromUri('hashivault://settings', {
      env: { ...env(), VAULT_NAMESPACE: 'team-a', TRANSIT_SECRET_ENGINE_PATH: 'transit' },
      fetch: async (input, init) => {
        seen.push({ url: String(input), headers: new Headers(init?.headers) })
        return fetch(input, init)
      },
    })
    await key.publicKey()
    expect(seen[0]?.url).toBe(`${vault.url}/v1/transit/keys/settings`)
    expect(seen[0]?.headers.get('x-vault-namespace')).toBe('team-a')
    expect(() => keyProviderFromUri('hashivault://x', { address: 'ftp://vault' })).toThrowError(
      expect.objectContaining({ code: 'KMS_INVALID_INPUT' }),
    )
  })
})

describe.each([
  ['ecdsa-p256', undefined, 'PKIX_ECDSA_P256_SHA_256', true],
  ['ecdsa-p384', undefined, 'PKIX_ECDSA_P384_SHA_384', true],
  ['rsa-2048', 'pkcs1v15', 'PKIX_RSA_PKCS1V15_2048_SHA256', true],
  ['rsa-2048', 'pss', 'PKIX_RSA_PSS_2048_SHA256', false],
  ['ed25519', undefined, 'PKIX_ED25519', true],
] as const)('Vault transit %s key (%s)', (type, rsaScheme, keyDetails, recordInLog) => {
  it('signs bundles that upstream @sigstore/verify accepts, reading the key once', async () => {
    const name = `${type}-${rsaScheme ?? 'default'}`
    vault.addKey(name, type)
    const key = provider(name, rsaScheme ? { rsaScheme } : {})
    expect(await key.describe()).toMatchObject({ keyDetails })
    const before = vault.calls.length
    await signAndVerifyUpstream(key, artifact, { recordInLog })
    const calls = vault.calls.slice(before)
    expect(calls.filter((call) => call.startsWith('GET'))).toHaveLength(0)
    expect(calls.filter((call) => call.startsWith('POST /v1/transit/sign/'))).toHaveLength(2)
  })
})

describe('Vault failures', () => {
  it('pins the key version it read: a rotated key does not change the signing key', async () => {
    vault.addKey('rotating', 'ecdsa-p256')
    const key = provider('rotating')
    await key.describe()
    vault.addKey('rotating', 'ecdsa-p256')
    await signAndVerifyUpstream(key, artifact)
  })

  it('retries 429 with backoff, then gives up with KMS_THROTTLED; 403 is permission denied', async () => {
    vault.addKey('throttled', 'ecdsa-p256')
    const key = provider('throttled', { retries: 1 })
    await key.describe()
    vault.failures.push({ status: 429, errors: ['rate limit quota exceeded'] })
    await expect(key.signDigest(Buffer.alloc(32, 3), 'sha256')).resolves.toBeInstanceOf(Uint8Array)
    vault.failures.push({ status: 429 }, { status: 429 })
    await expect(key.signDigest(Buffer.alloc(32, 3), 'sha256')).rejects.toMatchObject({
      code: 'KMS_THROTTLED',
    })
    const denied = await provider('throttled', { token: 'wrong' })
      .publicKey()
      .catch((error: unknown) => error)
    expect(KmsError.is(denied, 'KMS_PERMISSION_DENIED')).toBe(true)
    expect((denied as KmsError).details).toMatchObject({ status: 403 })
  })

  it('types missing keys, key types that cannot sign, timeouts and a dead address', async () => {
    await expect(provider('missing').publicKey()).rejects.toMatchObject({ code: 'KMS_NOT_FOUND' })
    vault.addKey('aes', 'aes256-gcm96')
    await expect(provider('aes').publicKey()).rejects.toMatchObject({ code: 'KMS_UNSUPPORTED_ALGORITHM' })
    vault.addKey('p521', 'ecdsa-p521')
    await expect(provider('p521').publicKey()).rejects.toMatchObject({ code: 'KMS_UNSUPPORTED_ALGORITHM' })
    vault.addKey('slow', 'ecdsa-p256')
    vault.delayMs = 400
    try {
      await expect(provider('slow', { timeoutMs: 50 }).publicKey()).rejects.toMatchObject({
        code: 'KMS_TIMEOUT',
      })
    } finally {
      vault.delayMs = 0
    }
    const dead = keyProviderFromUri('hashivault://slow', { address: 'http://127.0.0.1:9', token: 't' })
    await expect(dead.publicKey()).rejects.toMatchObject({ code: 'KMS_UNREACHABLE' })
    const noToken = keyProviderFromUri('hashivault://slow', { env: { VAULT_ADDR: vault.url } })
    await expect(noToken.publicKey()).rejects.toMatchObject({ code: 'KMS_PERMISSION_DENIED' })
  })
})

describe('batching', () => {
  it('sends the signatures asked for in one turn as one batch_input request, each to its own caller', async () => {
    vault.addKey('batched', 'ecdsa-p256')
    const key = provider('batched', { maxBatchSize: 8 })
    await key.describe()
    const digests = Array.from(
      { length: 20 },
      (_, index) => `sha256:${Buffer.alloc(32, index + 1).toString('hex')}` as const,
    )
    // The signer checks every signature against its own digest: a mixed-up batch would fail here.
    const signer = createSigner({ key, witness: 'none' })
    const before = vault.signRequests
    const results = await signer.signBatch(digests, { concurrency: 20 })
    expect(results.every((result) => result.ok)).toBe(true)
    expect(vault.signRequests - before).toBeLessThan(20)
    const unbatched = provider('batched', { maxBatchSize: 1 })
    const start = vault.signRequests
    await Promise.all(
      digests
        .slice(0, 5)
        .map((digest) => unbatched.signDigest(Buffer.from(digest.slice(7), 'hex'), 'sha256')),
    )
    expect(vault.signRequests - start).toBe(5)
  })

  it('gives each caller its own error from a batch', async () => {
    vault.addKey('batch-errors', 'ed25519')
    const key = provider('batch-errors')
    await key.describe()
    // Ed25519 signs messages; a digest request is refused before it reaches Vault, the messages are batched.
    const outcomes = await Promise.allSettled([
      key.sign(Buffer.from('one')),
      key.signDigest(Buffer.alloc(32), 'sha256'),
      key.sign(Buffer.from('two')),
    ])
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
  })
})

describe('createKeyFromUri', () => {
  it('creates a transit key of the asked type, and refuses an existing name', async () => {
    const key = await createKeyFromUri('hashivault://created', { env: env(), algorithm: 'ed25519' })
    expect(vault.keys.get('created')?.[0]?.type).toBe('ed25519')
    await signAndVerifyUpstream(key, artifact)
    await expect(createKeyFromUri('hashivault://created', { env: env() })).rejects.toMatchObject({
      code: 'KMS_INVALID_INPUT',
    })
  })
})
