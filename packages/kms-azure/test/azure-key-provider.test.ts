import type { TokenCredential } from '@azure/core-auth'
import { KmsError, type KmsKeyProvider } from '@certus-trust/kms'
import {
  type FakeAzureKeyVault,
  signAndVerifyUpstream,
  startFakeAzureKeyVault,
} from '@certus-trust/kms-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AzureKeyProviderOptions,
  createKeyFromUri,
  keyProviderFromUri,
  parseAzureKeyUri,
} from '../src/index.js'

const artifact = Buffer.from('certus trust azure artifact\n'.repeat(20))
let vault: FakeAzureKeyVault
let tokenRequests = 0
// What DefaultAzureCredential would return in production; the fake checks only that a bearer token is sent.
const credential: TokenCredential = {
  getToken: async () => {
    tokenRequests++
    return { token: 'eyJ.test.token', expiresOnTimestamp: Date.now() + 3_600_000 }
  },
}
const options = (): AzureKeyProviderOptions => ({
  credential,
  // The real @azure/keyvault-keys over https, trusting the fake's self-signed certificate; the challenge's
  // resource (vault.azure.net) cannot match a local host.
  clientOptions: {
    tlsOptions: { ca: vault.certificate },
    disableChallengeResourceVerification: true,
  } as never,
  baseDelayMs: 1,
})
const provider = (name: string, extra: AzureKeyProviderOptions = {}): KmsKeyProvider =>
  keyProviderFromUri(`azurekms://${vault.host}/${name}`, { ...options(), ...extra })

beforeAll(async () => {
  vault = await startFakeAzureKeyVault()
})
afterAll(async () => {
  await vault.close()
})

describe('azurekms:// URIs', () => {
  it('parses vault hosts, key names and versions as cosign does', () => {
    expect(parseAzureKeyUri('azurekms://release.vault.azure.net/signing')).toEqual({
      vaultUrl: 'https://release.vault.azure.net',
      keyName: 'signing',
    })
    expect(parseAzureKeyUri('azurekms://release.vault.azure.net/signing/0123abcd')).toMatchObject({
      version: '0123abcd',
    })
    for (const bad of ['azurekms://', 'azurekms://vault/', 'azurekms://vault/a_b', 'azurekms:///key']) {
      expect(() => parseAzureKeyUri(bad), bad).toThrowError(
        expect.objectContaining({ code: 'KMS_INVALID_URI' }),
      )
    }
  })
})

describe.each([
  ['EC', 'P-256', undefined, 'PKIX_ECDSA_P256_SHA_256', true],
  ['EC', 'P-384', undefined, 'PKIX_ECDSA_P384_SHA_384', true],
  ['RSA', 2048, 'pkcs1v15', 'PKIX_RSA_PKCS1V15_2048_SHA256', true],
  ['RSA', 3072, 'pss', 'PKIX_RSA_PSS_3072_SHA256', false],
] as const)('Key Vault %s %s key (%s)', (kty, size, rsaScheme, keyDetails, recordInLog) => {
  it('signs bundles that upstream @sigstore/verify accepts, reading the key once', async () => {
    const name = `${kty}-${size}-${rsaScheme ?? 'default'}`.toLowerCase()
    vault.addKey(name, kty, size)
    const key = provider(name, rsaScheme ? { rsaScheme } : {})
    expect(await key.describe()).toMatchObject({ keyDetails })
    const before = vault.calls.length
    await signAndVerifyUpstream(key, artifact, { recordInLog })
    const calls = vault.calls.slice(before)
    expect(calls.filter((call) => call.startsWith('GET'))).toHaveLength(0)
    expect(calls.filter((call) => call.endsWith('/sign') && call.startsWith('POST'))).not.toHaveLength(0)
    expect(tokenRequests).toBeGreaterThan(0)
  })
})

describe('Key Vault failures', () => {
  it('retries 429 with backoff, then gives up with KMS_THROTTLED; 403 is permission denied', async () => {
    vault.addKey('throttled', 'EC', 'P-256')
    const key = provider('throttled', { retries: 1 })
    await key.describe()
    vault.failures.push({ status: 429, code: 'Throttled' })
    await expect(key.signDigest(Buffer.alloc(32, 5), 'sha256')).resolves.toBeInstanceOf(Uint8Array)
    vault.failures.push({ status: 429, code: 'Throttled' }, { status: 429, code: 'Throttled' })
    await expect(key.signDigest(Buffer.alloc(32, 5), 'sha256')).rejects.toMatchObject({
      code: 'KMS_THROTTLED',
    })
    vault.failures.push({
      status: 403,
      code: 'Forbidden',
      message: 'The user does not have keys sign permission',
    })
    const denied = await provider('throttled')
      .publicKey()
      .catch((error: unknown) => error)
    expect(KmsError.is(denied, 'KMS_PERMISSION_DENIED')).toBe(true)
  })

  it('types missing, disabled and unsuitable keys, a pinned version, timeouts and a dead vault', async () => {
    await expect(provider('missing').publicKey()).rejects.toMatchObject({ code: 'KMS_NOT_FOUND' })
    const disabled = vault.addKey('disabled', 'EC', 'P-256')
    const key = provider('disabled')
    await key.describe()
    disabled.enabled = false
    await expect(key.signDigest(Buffer.alloc(32), 'sha256')).rejects.toMatchObject({
      code: 'KMS_KEY_DISABLED',
    })
    await expect(provider('disabled').publicKey()).rejects.toMatchObject({ code: 'KMS_KEY_DISABLED' })
    vault.addKey('secp256k1', 'EC', 'P-256K')
    await expect(provider('secp256k1').publicKey()).rejects.toMatchObject({
      code: 'KMS_UNSUPPORTED_ALGORITHM',
    })
    const first = vault.addKey('versioned', 'EC', 'P-256')
    vault.addKey('versioned', 'EC', 'P-256')
    const pinned = keyProviderFromUri(`azurekms://${vault.host}/versioned/${first.version}`, options())
    expect(await pinned.publicKey()).toBe(first.publicKey.export({ type: 'spki', format: 'pem' }))
    vault.delayMs = 400
    try {
      await expect(provider('versioned', { timeoutMs: 50 }).publicKey()).rejects.toMatchObject({
        code: 'KMS_TIMEOUT',
      })
    } finally {
      vault.delayMs = 0
    }
    const dead = keyProviderFromUri('azurekms://127.0.0.1:9/versioned', { ...options(), retries: 0 })
    await expect(dead.publicKey()).rejects.toMatchObject({ code: 'KMS_UNREACHABLE' })
  })
})

describe('createKeyFromUri', () => {
  it('creates an EC key with the sign operation and refuses an existing name and Ed25519', async () => {
    const key = await createKeyFromUri(`azurekms://${vault.host}/created`, {
      ...options(),
      algorithm: 'ecdsa-p384',
    })
    expect(vault.keys.get('created')?.[0]?.crv).toBe('P-384')
    await signAndVerifyUpstream(key, artifact)
    await expect(createKeyFromUri(`azurekms://${vault.host}/created`, options())).rejects.toMatchObject({
      code: 'KMS_INVALID_INPUT',
    })
    await expect(
      createKeyFromUri(`azurekms://${vault.host}/edwards`, { ...options(), algorithm: 'ed25519' }),
    ).rejects.toMatchObject({ code: 'KMS_UNSUPPORTED_ALGORITHM' })
  })
})
