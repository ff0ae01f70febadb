import { KmsError, type KmsKeyProvider } from '@certus-trust/kms'
import { type FakeGcpKms, signAndVerifyUpstream, startFakeGcpKms } from '@certus-trust/kms-testing'
import { OAuth2Client } from 'google-auth-library'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createKeyFromUri,
  type GcpKeyProviderOptions,
  keyProviderFromUri,
  parseGcpKeyUri,
} from '../src/index.js'

const artifact = Buffer.from('certus trust gcp artifact\n'.repeat(20))
const ring = 'projects/certus/locations/global/keyRings/release'
let kms: FakeGcpKms

// The real @google-cloud/kms client over its REST transport, with an OAuth2 client holding a ready access token
// (what ADC would yield), pointed at the local stand-in.
function clientOptions(): GcpKeyProviderOptions['clientOptions'] {
  const authClient = new OAuth2Client()
  authClient.setCredentials({ access_token: 'ya29.test-token', expiry_date: Date.now() + 3_600_000 })
  return { apiEndpoint: '127.0.0.1', port: kms.port, protocol: 'http', authClient } as never
}
const provider = (path: string, options: GcpKeyProviderOptions = {}): KmsKeyProvider =>
  keyProviderFromUri(`gcpkms://${path}`, { clientOptions: clientOptions(), baseDelayMs: 1, ...options })

beforeAll(async () => {
  kms = await startFakeGcpKms()
  kms.keyRings.add(ring)
})
afterAll(async () => {
  await kms.close()
})

describe('gcpkms:// URIs', () => {
  it('parses key versions (and keys without one) as cosign does', () => {
    expect(parseGcpKeyUri(`gcpkms://${ring}/cryptoKeys/k/cryptoKeyVersions/3`)).toEqual({
      keyRing: ring,
      keyId: 'k',
      cryptoKey: `${ring}/cryptoKeys/k`,
      version: '3',
    })
    expect(parseGcpKeyUri(`gcpkms://${ring}/cryptoKeys/k`)).not.toHaveProperty('version')
    for (const bad of [
      'gcpkms://',
      `gcpkms://${ring}`,
      `gcpkms://${ring}/cryptoKeys/k/cryptoKeyVersions/x`,
    ]) {
      expect(() => parseGcpKeyUri(bad), bad).toThrowError(
        expect.objectContaining({ code: 'KMS_INVALID_URI' }),
      )
    }
  })
})

describe.each([
  ['EC_SIGN_P256_SHA256', 'PKIX_ECDSA_P256_SHA_256', true],
  ['EC_SIGN_P384_SHA384', 'PKIX_ECDSA_P384_SHA_384', true],
  ['RSA_SIGN_PKCS1_2048_SHA256', 'PKIX_RSA_PKCS1V15_2048_SHA256', true],
  ['RSA_SIGN_PSS_3072_SHA256', 'PKIX_RSA_PSS_3072_SHA256', false],
  ['EC_SIGN_ED25519', 'PKIX_ED25519', true],
] as const)('Cloud KMS %s key', (algorithm, keyDetails, recordInLog) => {
  it('signs bundles that upstream @sigstore/verify accepts, fetching the public key once', async () => {
    const name = kms.addVersion(`${ring}/cryptoKeys/${algorithm.toLowerCase()}`, algorithm)
    const key = provider(name)
    expect(await key.describe()).toMatchObject({ keyDetails })
    const before = kms.calls.length
    await signAndVerifyUpstream(key, artifact, { recordInLog })
    const calls = kms.calls.slice(before)
    expect(calls.filter((call) => call.endsWith('/publicKey'))).toHaveLength(0)
    expect(calls.filter((call) => call.endsWith(':asymmetricSign'))).toHaveLength(2)
  })
})

describe('Cloud KMS failures', () => {
  it('uses the newest enabled version when the URI names none', async () => {
    const cryptoKey = `${ring}/cryptoKeys/versions`
    kms.addVersion(cryptoKey, 'EC_SIGN_P256_SHA256')
    const second = kms.addVersion(cryptoKey, 'EC_SIGN_P256_SHA256')
    kms.versions.get(kms.addVersion(cryptoKey, 'EC_SIGN_P256_SHA256'))!.state = 'DISABLED'
    const key = provider(cryptoKey)
    const expected = kms.versions.get(second)!.publicKey.export({ type: 'spki', format: 'pem' })
    expect(await key.publicKey()).toBe(expected)
    await signAndVerifyUpstream(key, artifact)
  })

  it('retries RESOURCE_EXHAUSTED with backoff, then gives up with KMS_THROTTLED', async () => {
    const key = provider(kms.addVersion(`${ring}/cryptoKeys/throttled`, 'EC_SIGN_P256_SHA256'), {
      retries: 1,
    })
    await key.describe()
    kms.failures.push({ status: 429, grpcStatus: 'RESOURCE_EXHAUSTED' })
    await expect(key.signDigest(Buffer.alloc(32, 4), 'sha256')).resolves.toBeInstanceOf(Uint8Array)
    kms.failures.push(
      { status: 429, grpcStatus: 'RESOURCE_EXHAUSTED' },
      { status: 429, grpcStatus: 'RESOURCE_EXHAUSTED' },
    )
    await expect(key.signDigest(Buffer.alloc(32, 4), 'sha256')).rejects.toMatchObject({
      code: 'KMS_THROTTLED',
    })
  })

  it('types denied, missing, disabled and unsuitable keys, timeouts and a dead endpoint', async () => {
    const name = kms.addVersion(`${ring}/cryptoKeys/typed`, 'EC_SIGN_P256_SHA256')
    kms.failures.push({ status: 403, grpcStatus: 'PERMISSION_DENIED' })
    const denied = await provider(name)
      .publicKey()
      .catch((error: unknown) => error)
    expect(KmsError.is(denied, 'KMS_PERMISSION_DENIED')).toBe(true)
    await expect(provider(`${ring}/cryptoKeys/none/cryptoKeyVersions/1`).publicKey()).rejects.toMatchObject({
      code: 'KMS_NOT_FOUND',
    })
    const key = provider(name)
    await key.describe()
    kms.versions.get(name)!.state = 'DISABLED'
    await expect(key.signDigest(Buffer.alloc(32), 'sha256')).rejects.toMatchObject({
      code: 'KMS_KEY_DISABLED',
    })
    const k1 = kms.addVersion(`${ring}/cryptoKeys/secp256k1`, 'EC_SIGN_SECP256K1_SHA256')
    await expect(provider(k1).publicKey()).rejects.toMatchObject({ code: 'KMS_UNSUPPORTED_ALGORITHM' })
    kms.delayMs = 400
    try {
      await expect(provider(k1, { timeoutMs: 50 }).publicKey()).rejects.toMatchObject({ code: 'KMS_TIMEOUT' })
    } finally {
      kms.delayMs = 0
    }
    const dead = keyProviderFromUri(`gcpkms://${name}`, {
      clientOptions: { ...clientOptions(), port: 9 } as never,
      retries: 0,
      timeoutMs: 3000,
    })
    // google-gax's REST transport reports a refused connection as DEADLINE_EXCEEDED when it gives up.
    const error = await dead.publicKey().catch((caught: unknown) => caught)
    expect((error as KmsError).code).toMatch(/^KMS_(UNREACHABLE|TIMEOUT)$/)
  })
})

describe('createKeyFromUri', () => {
  it('creates an ASYMMETRIC_SIGN key, waits for its first version, and refuses an existing one', async () => {
    const key = await createKeyFromUri(`gcpkms://${ring}/cryptoKeys/created`, {
      clientOptions: clientOptions(),
      algorithm: 'ecdsa-p384',
    })
    expect(kms.versions.get(`${ring}/cryptoKeys/created/cryptoKeyVersions/1`)?.algorithm).toBe(
      'EC_SIGN_P384_SHA384',
    )
    await signAndVerifyUpstream(key, artifact)
    await expect(
      createKeyFromUri(`gcpkms://${ring}/cryptoKeys/created`, { clientOptions: clientOptions() }),
    ).rejects.toMatchObject({ code: 'KMS_INVALID_INPUT' })
    await expect(
      createKeyFromUri('gcpkms://projects/x/locations/global/keyRings/missing/cryptoKeys/k', {
        clientOptions: clientOptions(),
      }),
    ).rejects.toMatchObject({ code: 'KMS_NOT_FOUND' })
  })
})
