import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from './generate-key-pair.js'
import { createLocalKeyProvider } from './key-provider.js'
import { describeKey, loadPrivateKey, loadPublicKey, privateKeyFromEnvValue } from './keys.js'

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const passphrase = 'correct horse battery staple'
const encryptedPem = ec.privateKey
  .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
  .toString()
const plainPem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as { code?: string }).code
  }
  return undefined
}

describe('loadPrivateKey', () => {
  it('loads PEM (PKCS#8, SEC1, PKCS#1), encrypted PEM with passphrase, JWK and KeyObject to the same key', () => {
    const expected = describeKey(ec.privateKey).keyId
    const sec1 = ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString()
    for (const input of [
      plainPem,
      sec1,
      Buffer.from(plainPem),
      ec.privateKey.export({ format: 'jwk' }),
      ec.privateKey,
    ]) {
      expect(describeKey(loadPrivateKey(input)).keyId).toBe(expected)
    }
    expect(describeKey(loadPrivateKey(encryptedPem, { passphrase })).keyId).toBe(expected)
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    expect(
      describeKey(loadPrivateKey(rsa.export({ type: 'pkcs1', format: 'pem' }).toString())).algorithm,
    ).toBe('rsa-pkcs1v15')
  })

  it('wrong or missing passphrase → SIGNER_WRONG_PASSPHRASE, never echoing the passphrase', () => {
    expect(codeOf(() => loadPrivateKey(encryptedPem))).toBe('SIGNER_WRONG_PASSPHRASE')
    let caught: unknown
    try {
      loadPrivateKey(encryptedPem, { passphrase: 'hunter2-wrong' })
    } catch (error) {
      caught = error
    }
    expect(caught).toMatchObject({ code: 'SIGNER_WRONG_PASSPHRASE' })
    const text = `${(caught as Error).message} ${JSON.stringify(caught)} ${String((caught as Error).cause)}`
    expect(text).not.toContain('hunter2')
  })

  it('rejects garbage, public keys, certificates-as-keys and non-private JWKs with SIGNER_KEY_INVALID', () => {
    const publicPem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    for (const bad of [
      '',
      'not a key',
      publicPem,
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      ec.publicKey,
      ec.publicKey.export({ format: 'jwk' }),
      42,
      null,
    ]) {
      expect(codeOf(() => loadPrivateKey(bad as never))).toBe('SIGNER_KEY_INVALID')
    }
  })

  it('errors never contain private key material', () => {
    const lines = plainPem.split('\n')
    const corrupted = [lines[0], lines[1], 'ZZZZ', ...lines.slice(2)].join('\n')
    let caught: unknown
    try {
      loadPrivateKey(corrupted)
    } catch (error) {
      caught = error
    }
    expect(caught).toMatchObject({ code: 'SIGNER_KEY_INVALID' })
    expect(
      `${(caught as Error).message} ${JSON.stringify(caught)} ${String((caught as Error).cause)}`,
    ).not.toContain(lines[1]!.slice(0, 16))
  })

  it('unsupported curves and key types → SIGNER_UNSUPPORTED_ALGORITHM; RSA < 2048 → SIGNER_WEAK_KEY', () => {
    expect(
      codeOf(() => loadPrivateKey(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey)),
    ).toBe('SIGNER_UNSUPPORTED_ALGORITHM')
    expect(codeOf(() => loadPrivateKey(generateKeyPairSync('ed448').privateKey))).toBe(
      'SIGNER_UNSUPPORTED_ALGORITHM',
    )
    expect(codeOf(() => loadPrivateKey(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey))).toBe(
      'SIGNER_WEAK_KEY',
    )
    expect(
      codeOf(() =>
        loadPrivateKey(
          generateKeyPairSync('rsa-pss', { modulusLength: 2048, hashAlgorithm: 'sha512' } as never as {
            modulusLength: number
          }) /* @types/node types saltLength as string */.privateKey,
        ),
      ),
    ).toBe('SIGNER_UNSUPPORTED_ALGORITHM')
  })
})

describe('privateKeyFromEnvValue', () => {
  it('accepts PEM, PEM with literal \\n, base64 PEM and JWK JSON', () => {
    const expected = describeKey(ec.privateKey).keyId
    const values = [
      plainPem,
      plainPem.replace(/\n/g, '\\n'),
      Buffer.from(plainPem).toString('base64'),
      JSON.stringify(ec.privateKey.export({ format: 'jwk' })),
    ]
    for (const value of values) expect(describeKey(privateKeyFromEnvValue(value)).keyId).toBe(expected)
    expect(describeKey(privateKeyFromEnvValue(encryptedPem, { passphrase })).keyId).toBe(expected)
  })
  it('rejects unset, empty and unrecognised values', () => {
    for (const value of [
      undefined,
      '',
      '   ',
      '{not json',
      'plain words',
      Buffer.from('hello').toString('base64'),
    ]) {
      expect(codeOf(() => privateKeyFromEnvValue(value))).toBe('SIGNER_KEY_INVALID')
    }
  })
})

describe('loadPublicKey / describeKey', () => {
  it('reads PEM, DER, JWK and private keys; reports Sigstore key details', () => {
    const der = ec.publicKey.export({ type: 'spki', format: 'der' })
    expect(describeKey(loadPublicKey(der)).keyDetails).toBe('PKIX_ECDSA_P256_SHA_256')
    expect(describeKey(loadPublicKey(ec.publicKey.export({ format: 'jwk' }))).keyDetails).toBe(
      'PKIX_ECDSA_P256_SHA_256',
    )
    expect(describeKey(loadPublicKey(ec.privateKey)).keyDetails).toBe('PKIX_ECDSA_P256_SHA_256')
    expect(describeKey(generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey).keyDetails).toBe(
      'PKIX_RSA_PKCS1V15_3072_SHA256',
    )
    expect(codeOf(() => loadPublicKey('nope'))).toBe('SIGNER_KEY_INVALID')
  })
})

describe('generateKeyPair', () => {
  it.each(['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-pkcs1v15', 'rsa-pss'] as const)(
    '%s: writes the private key with mode 0600 and it loads back',
    async (algorithm) => {
      const dir = await mkdtemp(join(tmpdir(), 'certus-signer-'))
      const privateKeyPath = join(dir, 'nested', 'key.pem')
      const publicKeyPath = join(dir, 'key.pub')
      const pair = await generateKeyPair({
        algorithm,
        rsaBits: 2048,
        privateKeyPath,
        publicKeyPath,
        passphrase: 'pw-123',
      })
      expect(pair.algorithm).toBe(algorithm)
      expect((await stat(privateKeyPath)).mode & 0o777).toBe(0o600)
      const pem = await readFile(privateKeyPath, 'utf8')
      expect(pem).toContain('ENCRYPTED PRIVATE KEY')
      expect(describeKey(loadPrivateKey(pem, { passphrase: 'pw-123' })).keyId).toBe(pair.keyId)
      expect(await readFile(publicKeyPath, 'utf8')).toBe(pair.publicKeyPem)
      // The provider made from it signs with the same key.
      expect(createLocalKeyProvider(pem, { passphrase: 'pw-123' }).info.keyId).toBe(pair.keyId)
    },
  )

  it('refuses to overwrite unless asked, rejects weak RSA and bad options', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'certus-signer-'))
    const privateKeyPath = join(dir, 'key.pem')
    await writeFile(privateKeyPath, 'existing')
    await expect(generateKeyPair({ privateKeyPath })).rejects.toMatchObject({
      code: 'SIGNER_KEY_WRITE_FAILED',
    })
    expect(await readFile(privateKeyPath, 'utf8')).toBe('existing')
    await generateKeyPair({ privateKeyPath, overwrite: true })
    expect((await stat(privateKeyPath)).mode & 0o777).toBe(0o600)
    await expect(generateKeyPair({ algorithm: 'rsa-pkcs1v15', rsaBits: 1024 })).rejects.toMatchObject({
      code: 'SIGNER_WEAK_KEY',
    })
    await expect(generateKeyPair({ algorithm: 'dsa' as never })).rejects.toMatchObject({
      code: 'SIGNER_INVALID_INPUT',
    })
    await expect(generateKeyPair({ unknown: 1 } as never)).rejects.toMatchObject({
      code: 'SIGNER_INVALID_INPUT',
    })
  })
})
