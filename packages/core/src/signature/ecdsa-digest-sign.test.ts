import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { p256, p384 } from '@noble/curves/nist.js'
import { describe, expect, it } from 'vitest'
import { signEcdsaDigest, signEcdsaDigests } from './ecdsa-digest-sign.js'

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

describe('signEcdsaDigests (one shared inversion per curve)', () => {
  const keyOf = (namedCurve: 'P-256' | 'P-384') => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve })
    return { secret: Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url'), publicKey }
  }

  it('signs every item exactly as signEcdsaDigest and @noble/curves do, across keys and curves', () => {
    const keys = [keyOf('P-256'), keyOf('P-256'), keyOf('P-384')]
    const algorithms = ['ecdsa-p256', 'ecdsa-p256', 'ecdsa-p384'] as const
    const items = Array.from({ length: 40 }, (_, index) => {
      const which = index % 3
      const message = Buffer.from(`batch message ${index}`)
      return {
        algorithm: algorithms[which]!,
        secret: keys[which]!.secret,
        digest: createHash(which === 2 ? 'sha384' : 'sha256')
          .update(message)
          .digest(),
        message,
        which,
      }
    })
    const signed = signEcdsaDigests(items)
    expect(signed).toHaveLength(items.length)
    items.forEach((item, index) => {
      const signature = signed[index]
      if (!(signature instanceof Uint8Array)) throw signature ?? new Error(`no result for item ${index}`)
      expect(Buffer.from(signature)).toEqual(
        Buffer.from(signEcdsaDigest(item.algorithm, item.secret, item.digest)),
      )
      const curve = item.which === 2 ? p384 : p256
      expect(Buffer.from(signature)).toEqual(
        Buffer.from(curve.sign(item.digest, item.secret, { prehash: false, format: 'der' })),
      )
      const hash = item.which === 2 ? 'sha384' : 'sha256'
      expect(verify(hash, item.message, keys[item.which]!.publicKey, signature)).toBe(true)
    })
  })

  it('fails a bad item alone and handles batches of one and none', () => {
    const key = keyOf('P-256')
    const digest = createHash('sha256').update('x').digest()
    const [good, bad, alsoGood] = signEcdsaDigests([
      { algorithm: 'ecdsa-p256', secret: key.secret, digest },
      { algorithm: 'ecdsa-p256', secret: new Uint8Array(32), digest },
      { algorithm: 'ecdsa-p256', secret: key.secret, digest: Buffer.alloc(32, 7) },
    ])
    expect(good).toEqual(signEcdsaDigest('ecdsa-p256', key.secret, digest))
    expect(bad).toBeInstanceOf(RangeError)
    expect(alsoGood).toEqual(signEcdsaDigest('ecdsa-p256', key.secret, Buffer.alloc(32, 7)))
    expect(signEcdsaDigests([{ algorithm: 'ecdsa-p256', secret: key.secret, digest }])).toEqual([good])
    expect(signEcdsaDigests([])).toEqual([])
  })
})
