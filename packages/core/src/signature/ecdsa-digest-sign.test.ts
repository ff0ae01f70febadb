import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { p256, p384 } from '@noble/curves/nist.js'
import { describe, expect, it } from 'vitest'
import { signEcdsaDigest } from './ecdsa-digest-sign.js'

const cases = [
  { algorithm: 'ecdsa-p256', curve: p256, namedCurve: 'P-256' },
  { algorithm: 'ecdsa-p384', curve: p384, namedCurve: 'P-384' },
] as const

describe('signEcdsaDigest (OpenSSL k·G, RFC 6979 nonce)', () => {
  it.each(cases)(
    '$algorithm: byte-identical to @noble/curves and verified by OpenSSL',
    ({ algorithm, curve, namedCurve }) => {
      for (let round = 0; round < 25; round++) {
        const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve })
        const secret = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url')
        const message = Buffer.from(`message ${round}`)
        const digest = createHash('sha256').update(message).digest()
        const ours = signEcdsaDigest(algorithm, secret, digest)
        expect(Buffer.from(ours)).toEqual(
          Buffer.from(curve.sign(digest, secret, { prehash: false, format: 'der' })),
        )
        // OpenSSL hashes the message itself: the signature over sha256(message) must verify over the message.
        expect(verify('sha256', message, publicKey, ours)).toBe(true)
        expect(verify('sha256', Buffer.from('other'), publicKey, ours)).toBe(false)
      }
    },
  )

  it('is deterministic and rejects out-of-range scalars', () => {
    const digest = createHash('sha256').update('x').digest()
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const secret = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url')
    expect(signEcdsaDigest('ecdsa-p256', secret, digest)).toEqual(
      signEcdsaDigest('ecdsa-p256', secret, digest),
    )
    expect(() => signEcdsaDigest('ecdsa-p256', new Uint8Array(32), digest)).toThrow(RangeError)
    expect(() => signEcdsaDigest('ecdsa-p256', Buffer.alloc(32, 0xff), digest)).toThrow(RangeError)
    expect(createPublicKey(privateKey).asymmetricKeyType).toBe('ec')
  })
})
