import { createHash, generateKeyPairSync, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createLocalKeyProvider } from './key-provider.js'

const message = Buffer.from('prehash me')
const digest = createHash('sha256').update(message).digest()

describe('createLocalKeyProvider', () => {
  const cases = {
    'ecdsa-p256': generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    'ecdsa-p384': generateKeyPairSync('ec', { namedCurve: 'P-384' }),
    'rsa-pkcs1v15': generateKeyPairSync('rsa', { modulusLength: 2048 }),
    'rsa-pss': generateKeyPairSync('rsa-pss', {
      modulusLength: 2049,
      hashAlgorithm: 'sha256',
      mgf1HashAlgorithm: 'sha256',
      saltLength: 32,
    } as never as { modulusLength: number }) /* @types/node types saltLength as string */,
  }
  it.each(Object.entries(cases))(
    '%s: sign() and signDigest() both verify over the message with node:crypto',
    async (_, pair) => {
      const provider = createLocalKeyProvider(pair.privateKey)
      expect(verify('sha256', message, pair.publicKey, await provider.sign(message))).toBe(true)
      const overDigest = await provider.signDigest(digest, 'sha256')
      expect(verify('sha256', message, pair.publicKey, overDigest)).toBe(true)
      expect(verify('sha256', Buffer.from('other'), pair.publicKey, overDigest)).toBe(false)
    },
  )
  it('Ed25519 signs purely; signDigest is a typed error; bad digests are typed errors', async () => {
    const pair = generateKeyPairSync('ed25519')
    const provider = createLocalKeyProvider(pair.privateKey)
    expect(verify(null, message, pair.publicKey, await provider.sign(message))).toBe(true)
    await expect(provider.signDigest(digest, 'sha256')).rejects.toMatchObject({
      code: 'SIGNER_DIGEST_ONLY_UNSUPPORTED',
    })
    const ec = createLocalKeyProvider(cases['ecdsa-p256'].privateKey)
    await expect(ec.signDigest(digest.subarray(0, 31), 'sha256')).rejects.toMatchObject({
      code: 'SIGNER_INVALID_DIGEST',
    })
    await expect(ec.signDigest(digest, 'sha512' as never)).rejects.toMatchObject({
      code: 'SIGNER_INVALID_DIGEST',
    })
  })
  it('exposes the public key and a stable hint, and no private material', () => {
    const provider = createLocalKeyProvider(cases['ecdsa-p256'].privateKey, { keyHint: 'my-key' })
    expect(provider.publicKey()).toBe(cases['ecdsa-p256'].publicKey.export({ type: 'spki', format: 'pem' }))
    expect(provider.keyHint).toBe('my-key')
    expect(JSON.stringify(provider)).not.toMatch(/PRIVATE|"d"/)
  })
})
