import { constants, createHash, generateKeyPairSync, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { verifyDigestSignature } from './digest-signature.js'
import { signRsaDigest } from './rsa-digest-sign.js'

const message = Buffer.from('an artifact signed by its digest')
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsaPss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
const pssOptions = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }

describe('signRsaDigest', () => {
  it.each(['sha256', 'sha384', 'sha512'] as const)(
    'PKCS#1 v1.5 over a %s digest verifies over the message',
    (hash) => {
      const digest = createHash(hash).update(message).digest()
      const signature = signRsaDigest(rsa.privateKey, hash, digest)
      expect(verify(hash, message, rsa.publicKey, signature)).toBe(true)
      expect(verifyDigestSignature(rsa.publicKey, hash, digest, signature)).toBe(true)
    },
  )

  it('RSASSA-PSS with rsa and rsa-pss keys verifies over the message with the chosen salt length', () => {
    const digest = createHash('sha256').update(message).digest()
    for (const { privateKey, publicKey } of [rsa, rsaPss]) {
      const signature = signRsaDigest(privateKey, 'sha256', digest, { pss: { saltLength: 32 } })
      expect(verify('sha256', message, { key: publicKey, ...pssOptions }, signature)).toBe(true)
      // Another salt length is a different encoding.
      expect(verify('sha256', message, { key: publicKey, ...pssOptions, saltLength: 20 }, signature)).toBe(
        false,
      )
    }
  })

  it('refuses a digest of the wrong length and a salt the key cannot hold', () => {
    const digest = createHash('sha256').update(message).digest()
    expect(() => signRsaDigest(rsa.privateKey, 'sha256', digest.subarray(1))).toThrow(RangeError)
    expect(() => signRsaDigest(rsa.privateKey, 'sha384', digest)).toThrow(RangeError)
    expect(() => signRsaDigest(rsa.privateKey, 'sha256', digest, { pss: { saltLength: 300 } })).toThrow(
      /too small for salt/,
    )
  })
})
