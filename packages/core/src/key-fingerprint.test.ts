import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { publicKeyFingerprint } from './key-fingerprint.js'

describe('publicKeyFingerprint', () => {
  it('is SHA-256 of the DER SPKI, the same for a private key and its public key, and not shared between keys', () => {
    for (const pair of [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      generateKeyPairSync('ed25519'),
      generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ]) {
      const expected = createHash('sha256')
        .update(pair.publicKey.export({ type: 'spki', format: 'der' }))
        .digest()
      expect(Buffer.from(publicKeyFingerprint(pair.publicKey))).toEqual(expected)
      expect(Buffer.from(publicKeyFingerprint(pair.privateKey))).toEqual(expected)
      // From PEM text (a different KeyObject) and a second call (memoised): the same bytes.
      const pem = pair.publicKey.export({ type: 'spki', format: 'pem' })
      expect(Buffer.from(publicKeyFingerprint(createPublicKey(pem)))).toEqual(expected)
      expect(Buffer.from(publicKeyFingerprint(pair.publicKey))).toEqual(expected)
    }
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    const one = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    expect(Buffer.from(publicKeyFingerprint(other))).not.toEqual(Buffer.from(publicKeyFingerprint(one)))
  })

  it('hands out copies: changing a result does not change the next one', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    const first = publicKeyFingerprint(key)
    const copy = new Uint8Array(first)
    first.fill(0)
    expect(publicKeyFingerprint(key)).toEqual(copy)
  })
})
