import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import { buildHashedRekordProposedEntry, parseEntryBody } from '@certus-trust/rekor'
import { ed25519ph } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { validateProposedEntry } from './entry-validation.js'

describe('validateProposedEntry', () => {
  it('accepts Ed25519ph over a sha512 digest without the artifact (Rekor semantics)', () => {
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
    const validated = validateProposedEntry(proposed)
    expect(validated.searchKeys).toContain(`sha512:${digest}`)
    const body = parseEntryBody(Buffer.from(validated.body).toString('base64'))
    expect(body.kind).toBe('hashedrekord')
    // A signature over a different message fails.
    const wrong = buildHashedRekordProposedEntry({
      digest: `sha512:${createHash('sha512').update('other').digest('hex')}`,
      signature,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    })
    expect(() => validateProposedEntry(wrong)).toThrow(
      expect.objectContaining({ code: 'TLOG_SIGNATURE_INVALID' }),
    )
  })

  it('rejects small RSA keys and unknown curves as unsupported', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
    const proposed = buildHashedRekordProposedEntry({
      digest: `sha256:${'ab'.repeat(32)}`,
      signature: new Uint8Array([1, 2, 3]),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    })
    expect(() => validateProposedEntry(proposed)).toThrow(
      expect.objectContaining({ code: 'TLOG_ENTRY_UNSUPPORTED' }),
    )
  })

  it('rejects malformed digests and non-PEM keys as invalid', () => {
    const base = { kind: 'hashedrekord', apiVersion: '0.0.1' }
    const key = Buffer.from('hello').toString('base64')
    expect(() =>
      validateProposedEntry({
        ...base,
        spec: {
          data: { hash: { algorithm: 'sha256', value: 'abc' } },
          signature: { content: 'AAAA', publicKey: { content: key } },
        },
      }),
    ).toThrow(expect.objectContaining({ code: 'TLOG_ENTRY_INVALID' }))
    expect(() =>
      validateProposedEntry({
        ...base,
        spec: {
          data: { hash: { algorithm: 'sha256', value: 'ab'.repeat(32) } },
          signature: { content: 'AAAA', publicKey: { content: key } },
        },
      }),
    ).toThrow(expect.objectContaining({ code: 'TLOG_ENTRY_INVALID' }))
    expect(() => validateProposedEntry('text')).toThrow(
      expect.objectContaining({ code: 'TLOG_ENTRY_INVALID' }),
    )
  })
})
