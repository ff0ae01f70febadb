import { createHash, generateKeyPairSync, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  createEcdsaPresignatures,
  readEcdsaPresignatures,
  signWithEcdsaPresignature,
} from './ecdsa-presign.js'

// The group orders (FIPS 186-4 D.1.2.3 and D.1.2.4).
const cases = [
  {
    algorithm: 'ecdsa-p256',
    namedCurve: 'P-256',
    hash: 'sha256',
    bytes: 32,
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  {
    algorithm: 'ecdsa-p384',
    namedCurve: 'P-384',
    hash: 'sha384',
    bytes: 48,
    order:
      0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
] as const

describe('ECDSA presignatures (r, k⁻¹ ahead of time; s when the message arrives)', () => {
  it.each(cases)(
    '$algorithm: every presignature finishes a signature OpenSSL verifies, with a fresh r and low S',
    ({ algorithm, namedCurve, hash, bytes, order }) => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve })
      const secret = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url')
      const packed = createEcdsaPresignatures(algorithm, 20)
      expect(packed.length).toBe(20 * 2 * bytes)
      const presignatures = readEcdsaPresignatures(algorithm, packed)
      expect(new Set(presignatures.map((presignature) => presignature.r)).size).toBe(20)
      presignatures.forEach((presignature, index) => {
        const message = Buffer.from(`entry ${index}`)
        const signature = signWithEcdsaPresignature(
          presignature,
          secret,
          createHash(hash).update(message).digest(),
        )
        expect(verify(hash, message, publicKey, signature)).toBe(true)
        expect(verify(hash, Buffer.from('another entry'), publicKey, signature)).toBe(false)
        // r is the presignature's; S is in the low half of the group order.
        const der = Buffer.from(signature)
        const rLength = der[3]!
        expect(BigInt(`0x${der.subarray(4, 4 + rLength).toString('hex')}`)).toBe(presignature.r)
        const sLength = der[5 + rLength]!
        const s = BigInt(`0x${der.subarray(6 + rLength, 6 + rLength + sLength).toString('hex')}`)
        expect(s > 0n && s <= order >> 1n).toBe(true)
      })
    },
  )

  it('rejects a packed buffer of the wrong length and a scalar out of range', () => {
    expect(() => readEcdsaPresignatures('ecdsa-p256', new Uint8Array(65))).toThrow(RangeError)
    const [presignature] = readEcdsaPresignatures('ecdsa-p256', createEcdsaPresignatures('ecdsa-p256', 1))
    expect(() => signWithEcdsaPresignature(presignature!, new Uint8Array(32), new Uint8Array(32))).toThrow(
      RangeError,
    )
  })
})
