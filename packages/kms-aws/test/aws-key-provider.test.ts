import { KmsError, type KmsKeyProvider } from '@certus-trust/kms'
import { type FakeAwsKms, signAndVerifyUpstream, startFakeAwsKms } from '@certus-trust/kms-testing'
import { createSigner } from '@certus-trust/signer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AwsKeyProviderOptions,
  createKeyFromUri,
  keyProviderFromUri,
  parseAwsKeyUri,
} from '../src/index.js'

const artifact = Buffer.from('certus trust kms artifact\n'.repeat(20))
// The real SDK signs requests with SigV4 over these; the fake accepts them without checking.
const clientConfig = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
}

let kms: FakeAwsKms
const uri = (keyId: string) => `awskms://127.0.0.1:${kms.port}/${keyId}`
const provider = (keyId: string, options: AwsKeyProviderOptions = {}): KmsKeyProvider =>
  keyProviderFromUri(uri(keyId), { clientConfig, baseDelayMs: 1, ...options })

beforeAll(async () => {
  kms = await startFakeAwsKms()
})
afterAll(async () => {
  await kms.close()
})

describe('awskms:// URIs', () => {
  it('parses key ids, aliases, ARNs and endpoints as cosign does', () => {
    expect(parseAwsKeyUri('awskms:///1234abcd-12ab-34cd-56ef-1234567890ab')).toEqual({
      keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
    })
    expect(parseAwsKeyUri('awskms://localhost:4566/alias/release')).toEqual({
      endpoint: 'localhost:4566',
      keyId: 'alias/release',
    })
    expect(
      parseAwsKeyUri('awskms:///arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    ).toMatchObject({ region: 'us-east-2' })
    for (const bad of ['awskms://', 'awskms:///', 'awskms:///alias/bad name', 'gcpkms:///x', 'awskms:/x']) {
      expect(() => parseAwsKeyUri(bad), bad).toThrowError(
        expect.objectContaining({ code: 'KMS_INVALID_URI' }),
      )
    }
  })
})

describe.each([
  ['ECC_NIST_P256', undefined, 'ecdsa-p256', 'PKIX_ECDSA_P256_SHA_256', true],
  ['ECC_NIST_P384', undefined, 'ecdsa-p384', 'PKIX_ECDSA_P384_SHA_384', true],
  ['RSA_2048', 'pkcs1v15', 'rsa-pkcs1v15', 'PKIX_RSA_PKCS1V15_2048_SHA256', true],
  ['RSA_3072', 'pss', 'rsa-pss', 'PKIX_RSA_PSS_3072_SHA256', false],
  ['ECC_NIST_EDWARDS25519', undefined, 'ed25519', 'PKIX_ED25519', true],
] as const)('AWS KMS %s key (%s)', (keySpec, rsaScheme, algorithm, keyDetails, recordInLog) => {
  it('signs bundles that upstream @sigstore/verify accepts, fetching the public key once', async () => {
    const alias = `alias/${keySpec.toLowerCase()}-${rsaScheme ?? 'default'}`
    kms.addKey(keySpec, alias)
    const key = provider(alias, rsaScheme ? { rsaScheme } : {})
    expect(await key.describe()).toMatchObject({ algorithm, keyDetails })
    const before = kms.calls.length
    await signAndVerifyUpstream(key, artifact, { recordInLog })
    const calls = kms.calls.slice(before)
    expect(calls.filter((call) => call === 'GetPublicKey')).toHaveLength(0)
    expect(calls.filter((call) => call === 'Sign')).toHaveLength(2)
  })
})

describe('AWS KMS failures', () => {
  it('retries throttled calls with backoff, then gives up with KMS_THROTTLED', async () => {
    kms.addKey('ECC_NIST_P256', 'alias/throttled')
    const key = provider('alias/throttled', { retries: 2 })
    await key.describe()
    kms.failures.push({ type: 'ThrottlingException' }, { type: 'ThrottlingException' })
    const before = kms.calls.length
    await expect(key.signDigest(Buffer.alloc(32, 1), 'sha256')).resolves.toBeInstanceOf(Uint8Array)
    expect(kms.calls.length - before).toBe(3)
    kms.failures.push(...Array.from({ length: 3 }, () => ({ type: 'ThrottlingException' })))
    await expect(key.signDigest(Buffer.alloc(32, 1), 'sha256')).rejects.toMatchObject({
      code: 'KMS_THROTTLED',
    })
    expect(kms.failures).toHaveLength(0)
  })

  it('retries a 5xx once more, but never a denied request', async () => {
    kms.addKey('ECC_NIST_P256', 'alias/flaky')
    const key = provider('alias/flaky')
    kms.failures.push({ type: 'KMSInternalException', status: 500 })
    await expect(key.describe()).resolves.toMatchObject({ algorithm: 'ecdsa-p256' })
    kms.failures.push({ type: 'AccessDeniedException' }, { type: 'AccessDeniedException' })
    const error = await key.signDigest(Buffer.alloc(32, 2), 'sha256').catch((caught: unknown) => caught)
    expect(KmsError.is(error, 'KMS_PERMISSION_DENIED')).toBe(true)
    expect((error as KmsError).details).toMatchObject({ awsError: 'AccessDeniedException', status: 400 })
    expect(kms.failures).toHaveLength(1)
    kms.failures.length = 0
  })

  it('types missing, disabled and unsuitable keys', async () => {
    await expect(provider('alias/missing').publicKey()).rejects.toMatchObject({ code: 'KMS_NOT_FOUND' })
    const id = kms.addKey('ECC_NIST_P256', 'alias/disabled')
    kms.keys.get(id)!.enabled = false
    await expect(provider('alias/disabled').publicKey()).rejects.toMatchObject({ code: 'KMS_KEY_DISABLED' })
    kms.keys.get(id)!.enabled = true
    // A failed lookup is not cached: once the key is enabled again it works.
    kms.addKey('ECC_SECG_P256K1', 'alias/secp256k1')
    await expect(provider('alias/secp256k1').publicKey()).rejects.toMatchObject({
      code: 'KMS_UNSUPPORTED_ALGORITHM',
    })
    kms.failures.push({ type: 'InvalidKeyUsageException' })
    await expect(provider('alias/disabled').signDigest(Buffer.alloc(32), 'sha256')).rejects.toMatchObject({
      code: 'KMS_UNSUPPORTED_ALGORITHM',
    })
    await expect(provider('alias/disabled').signDigest(Buffer.alloc(31), 'sha256')).rejects.toMatchObject({
      code: 'KMS_INVALID_INPUT',
    })
  })

  it('times out slow answers with KMS_TIMEOUT and reports a dead endpoint as KMS_UNREACHABLE', async () => {
    kms.addKey('ECC_NIST_P256', 'alias/slow')
    kms.delayMs = 400
    try {
      await expect(provider('alias/slow', { timeoutMs: 50 }).publicKey()).rejects.toMatchObject({
        code: 'KMS_TIMEOUT',
      })
    } finally {
      kms.delayMs = 0
    }
    const dead = keyProviderFromUri('awskms://127.0.0.1:9/alias/slow', { clientConfig })
    await expect(dead.publicKey()).rejects.toMatchObject({ code: 'KMS_UNREACHABLE' })
  })

  it('the signer refuses a signature made with another key', async () => {
    const id = kms.addKey('ECC_NIST_P256', 'alias/swapped')
    const key = provider('alias/swapped')
    await key.describe()
    const other = kms.keys.get(kms.addKey('ECC_NIST_P256'))!
    kms.keys.get(id)!.privateKey = other.privateKey
    const signer = createSigner({ key, witness: 'none' })
    await expect(signer.sign(artifact)).rejects.toMatchObject({ code: 'SIGNER_SIGNING_FAILED' })
  })
})

describe('createKeyFromUri', () => {
  it('creates a SIGN_VERIFY key under the alias and signs with it', async () => {
    const key = await createKeyFromUri(uri('alias/created-p384'), { clientConfig, algorithm: 'ecdsa-p384' })
    expect(kms.aliases.has('alias/created-p384')).toBe(true)
    expect(await key.describe()).toMatchObject({ algorithm: 'ecdsa-p384' })
    await signAndVerifyUpstream(key, artifact)
    await expect(
      createKeyFromUri(uri('alias/created-p384'), { clientConfig, baseDelayMs: 1 }),
    ).rejects.toMatchObject({ code: 'KMS_INVALID_INPUT' })
    await expect(createKeyFromUri(uri('1234abcd'), { clientConfig })).rejects.toMatchObject({
      code: 'KMS_INVALID_URI',
    })
  })
})
