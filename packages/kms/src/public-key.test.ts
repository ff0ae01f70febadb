import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { describeKmsPublicKey, ecdsaP1363ToDer, sha256DigestForP384 } from './public-key.js'

describe('describeKmsPublicKey', () => {
  it('maps keys to Sigstore key details and refuses a key that is not what the service says', () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    const der = p256.export({ type: 'spki', format: 'der' })
    expect(describeKmsPublicKey(der, 'ecdsa-p256')).toMatchObject({
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      bits: 256,
    })
    expect(() => describeKmsPublicKey(der, 'ecdsa-p384')).toThrowError(
      expect.objectContaining({ code: 'KMS_RESPONSE_INVALID' }),
    )
    expect(() => describeKmsPublicKey(Buffer.from('not a key'), 'ecdsa-p256')).toThrowError(
      expect.objectContaining({ code: 'KMS_RESPONSE_INVALID' }),
    )
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    })
    expect(() => describeKmsPublicKey(small.toString(), 'rsa-pkcs1v15')).toThrowError(
      expect.objectContaining({ code: 'KMS_UNSUPPORTED_ALGORITHM' }),
    )
  })

  it('re-wraps an RSA key that signs with PSS as an id-RSASSA-PSS key (SHA-256, 32-byte salt)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const info = describeKmsPublicKey(publicKey.export({ type: 'spki', format: 'der' }), 'rsa-pss')
    const pss = createPublicKey(info.publicKeyPem)
    expect(info.keyDetails).toBe('PKIX_RSA_PSS_2048_SHA256')
    expect(pss.asymmetricKeyType).toBe('rsa-pss')
    expect(pss.asymmetricKeyDetails).toMatchObject({
      hashAlgorithm: 'sha256',
      mgf1HashAlgorithm: 'sha256',
      saltLength: 32,
    })
    // Same key: a PSS signature by the original private key verifies with the re-wrapped public key.
    const message = Buffer.from('pss')
    const signature = sign('sha256', message, { key: privateKey, padding: 6, saltLength: 32 })
    expect(verify('sha256', message, pss, signature)).toBe(true)
  })
})

describe('signature helpers', () => {
  it('converts r||s to DER that node verifies', () => {
    for (const [curve, bits] of [
      ['P-256', 256],
      ['P-384', 384],
    ] as const) {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve })
      const message = Buffer.from(`message ${curve}`)
      for (let round = 0; round < 20; round++) {
        const raw = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' })
        expect(verify('sha256', message, publicKey, ecdsaP1363ToDer(raw, bits))).toBe(true)
      }
      expect(() => ecdsaP1363ToDer(Buffer.alloc(10), bits)).toThrowError(
        expect.objectContaining({ code: 'KMS_RESPONSE_INVALID' }),
      )
    }
  })

  it('pads a SHA-256 digest to 48 bytes without changing its value', () => {
    const digest = Buffer.alloc(32, 0xab)
    const padded = sha256DigestForP384(digest)
    expect(padded).toHaveLength(48)
    expect(Buffer.from(padded.subarray(0, 16)).equals(Buffer.alloc(16))).toBe(true)
    expect(Buffer.from(padded.subarray(16)).equals(digest)).toBe(true)
  })
})
