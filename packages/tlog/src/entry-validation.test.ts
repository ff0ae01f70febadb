import { constants, createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import {
  buildHashedRekordProposedEntry,
  parseEntryBody,
  readHashedRekordShape,
} from '@certus-trust/log-protocol/entries'
import { hashedRekordEntries } from '@certus-trust/test-utils/hashed-rekord-arbitrary'
import { ed25519ph } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HashedRekordSchema, validateProposedEntry } from './entry-validation.js'

describe('validateProposedEntry', () => {
  it('accepts Ed25519ph over a sha512 digest without the artifact (Rekor semantics)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url')
    const artifact = randomBytes(100)
    const signature = ed25519ph.sign(artifact, seed)
    const digest = createHash('sha512').update(artifact).digest('hex')
    const proposed = buildHashedRekordProposedEntry({
      digest: `sha512:${digest}`,
      signature,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    })
    const validated = await validateProposedEntry(proposed)
    expect(validated.searchKeys).toContain(`sha512:${digest}`)
    const body = parseEntryBody(Buffer.from(validated.body).toString('base64'))
    expect(body.kind).toBe('hashedrekord')
    // A signature over a different message fails.
    const wrong = buildHashedRekordProposedEntry({
      digest: `sha512:${createHash('sha512').update('other').digest('hex')}`,
      signature,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    })
    await expect(validateProposedEntry(wrong)).rejects.toThrow(
      expect.objectContaining({ code: 'TLOG_SIGNATURE_INVALID' }),
    )
  })

  it('accepts RSA-PSS hashedrekord signatures over the digest (any salt length) and P-384, and rejects tampering', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const artifact = randomBytes(300)
    const hex = createHash('sha256').update(artifact).digest('hex')
    const pem = (key: typeof rsa.publicKey) => key.export({ type: 'spki', format: 'pem' }).toString()
    const pss = (saltLength: number) =>
      sign('sha256', artifact, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength })
    const cases = [
      { publicKeyPem: pem(rsa.publicKey), signature: pss(32) },
      { publicKeyPem: pem(rsa.publicKey), signature: pss(0) },
      { publicKeyPem: pem(rsa.publicKey), signature: pss(constants.RSA_PSS_SALTLEN_MAX_SIGN) },
      { publicKeyPem: pem(p384.publicKey), signature: sign('sha256', artifact, p384.privateKey) },
    ]
    for (const { publicKeyPem, signature } of cases) {
      const proposed = buildHashedRekordProposedEntry({ digest: `sha256:${hex}`, signature, publicKeyPem })
      expect((await validateProposedEntry(proposed)).kind).toBe('hashedrekord')
      // Same verdict over the artifact (node:crypto path).
      expect((await validateProposedEntry(proposed, { artifact })).kind).toBe('hashedrekord')
      const otherDigest = createHash('sha256').update('other').digest('hex')
      const tampered = buildHashedRekordProposedEntry({
        digest: `sha256:${otherDigest}`,
        signature,
        publicKeyPem,
      })
      await expect(validateProposedEntry(tampered)).rejects.toThrow(
        expect.objectContaining({ code: 'TLOG_SIGNATURE_INVALID' }),
      )
      const flipped = Buffer.from(signature)
      flipped[40]! ^= 1
      const badSignature = buildHashedRekordProposedEntry({
        digest: `sha256:${hex}`,
        signature: flipped,
        publicKeyPem,
      })
      await expect(validateProposedEntry(badSignature)).rejects.toThrow(
        expect.objectContaining({ code: 'TLOG_SIGNATURE_INVALID' }),
      )
      await expect(validateProposedEntry(badSignature, { artifact })).rejects.toThrow(
        expect.objectContaining({ code: 'TLOG_SIGNATURE_INVALID' }),
      )
    }
  })

  it('rejects small RSA keys and unknown curves as unsupported', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
    const proposed = buildHashedRekordProposedEntry({
      digest: `sha256:${'ab'.repeat(32)}`,
      signature: new Uint8Array([1, 2, 3]),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    })
    await expect(validateProposedEntry(proposed)).rejects.toThrow(
      expect.objectContaining({ code: 'TLOG_ENTRY_UNSUPPORTED' }),
    )
  })

  it('rejects malformed digests and non-PEM keys as invalid', async () => {
    const base = { kind: 'hashedrekord', apiVersion: '0.0.1' }
    const key = Buffer.from('hello').toString('base64')
    await expect(
      validateProposedEntry({
        ...base,
        spec: {
          data: { hash: { algorithm: 'sha256', value: 'abc' } },
          signature: { content: 'AAAA', publicKey: { content: key } },
        },
      }),
    ).rejects.toThrow(expect.objectContaining({ code: 'TLOG_ENTRY_INVALID' }))
    await expect(
      validateProposedEntry({
        ...base,
        spec: {
          data: { hash: { algorithm: 'sha256', value: 'ab'.repeat(32) } },
          signature: { content: 'AAAA', publicKey: { content: key } },
        },
      }),
    ).rejects.toThrow(expect.objectContaining({ code: 'TLOG_ENTRY_INVALID' }))
    await expect(validateProposedEntry('text')).rejects.toThrow(
      expect.objectContaining({ code: 'TLOG_ENTRY_INVALID' }),
    )
  })
})

describe('validateProposedEntry: the usual hashedrekord without zod', () => {
  it('readHashedRekordShape accepts only what HashedRekordSchema accepts, and returns what it returns', () => {
    let read = 0
    fc.assert(
      fc.property(hashedRekordEntries({ spoil: true }), (entry) => {
        const fast = readHashedRekordShape(entry)
        if (fast === undefined) return
        read++
        const schema = HashedRekordSchema.safeParse(entry)
        expect(schema.success).toBe(true)
        expect(fast).toEqual(schema.data)
      }),
      { numRuns: 3000 },
    )
    expect(read).toBeGreaterThan(100)
  })
})
