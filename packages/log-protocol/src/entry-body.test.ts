import { constants, createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto'
import { verifyDigestSignature, verifyMessageSignature } from '@certus-trust/core/signature'
import { ed25519ph } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import {
  buildDsseProposedEntry,
  buildHashedRekordProposedEntry,
  canonicalizeProposedEntry,
  type EntryBody,
  parseDigest,
  parseEntryBody,
  verifyEntryBodyMatches,
  verifyEntryBodySignature,
} from './entry-body.js'

const artifact = new TextEncoder().encode('the artifact')
const digestOf = (algorithm: string) => createHash(algorithm).update(artifact).digest()
const pemOf = (key: { export: (options: { type: 'spki'; format: 'pem' }) => string | Buffer }) =>
  key.export({ type: 'spki', format: 'pem' }).toString()
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')

function bodyOf(bytes: Uint8Array): EntryBody {
  return parseEntryBody(b64(bytes))
}

describe('digest-signature verification (hashedrekord semantics)', () => {
  it.each([
    ['P-256', 'sha256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['P-384', 'sha384', generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['P-521', 'sha512', generateKeyPairSync('ec', { namedCurve: 'P-521' })],
    ['RSA-2048', 'sha256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ] as const)('%s over a %s digest', (_name, algorithm, { privateKey, publicKey }) => {
    const signature = new Uint8Array(sign(algorithm, artifact, privateKey))
    expect(verifyDigestSignature(publicKey, algorithm, digestOf(algorithm), signature)).toBe(true)
    const wrong = digestOf(algorithm)
    wrong[0]! ^= 1
    expect(verifyDigestSignature(publicKey, algorithm, wrong, signature)).toBe(false)
    expect(verifyDigestSignature(publicKey, algorithm, digestOf(algorithm).subarray(1), signature)).toBe(
      false,
    )
  })

  it('Ed25519 is Ed25519ph over a SHA-512 digest (what Rekor verifies); a pure Ed25519 signature is not accepted', () => {
    const { secretKey, publicKey: raw } = ed25519ph.keygen()
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
      format: 'jwk',
    })
    const phSignature = ed25519ph.sign(artifact, secretKey)
    expect(verifyDigestSignature(publicKey, 'sha512', digestOf('sha512'), phSignature)).toBe(true)
    expect(verifyDigestSignature(publicKey, 'sha256', digestOf('sha256'), phSignature)).toBe(false)
    const pure = generateKeyPairSync('ed25519')
    expect(
      verifyDigestSignature(
        pure.publicKey,
        'sha512',
        digestOf('sha512'),
        new Uint8Array(sign(null, artifact, pure.privateKey)),
      ),
    ).toBe(false)
  })
})

describe('message-signature verification (DSSE PAE, pure Ed25519)', () => {
  const message = new TextEncoder().encode('DSSEv1 4 test 5 hello')
  it.each([
    ['P-256 with SHA-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }), { hash: 'sha256' }],
    [
      'P-384 with SHA-256 (what Rekor and sigstore-js use)',
      generateKeyPairSync('ec', { namedCurve: 'P-384' }),
      { hash: 'sha256' },
    ],
    ['P-384 with SHA-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }), { hash: 'sha384' }],
    ['RSA PKCS#1 v1.5', generateKeyPairSync('rsa', { modulusLength: 2048 }), { hash: 'sha256' }],
    ['RSA PSS', generateKeyPairSync('rsa', { modulusLength: 2048 }), { hash: 'sha256', pss: true }],
    ['rsa-pss key', generateKeyPairSync('rsa-pss', { modulusLength: 2048 }), { hash: 'sha256', pss: true }],
    ['Ed25519', generateKeyPairSync('ed25519'), { hash: null }],
  ] as const)(
    '%s verifies, and a changed message or signature fails',
    (_name, { privateKey, publicKey }, how) => {
      const key =
        'pss' in how
          ? { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
          : privateKey
      const signature = new Uint8Array(sign(how.hash, message, key))
      expect(verifyMessageSignature(publicKey, message, signature)).toBe(true)
      const changed = new Uint8Array(message)
      changed[0]! ^= 1
      expect(verifyMessageSignature(publicKey, changed, signature)).toBe(false)
      const badSignature = new Uint8Array(signature)
      badSignature[badSignature.length - 1]! ^= 1
      expect(verifyMessageSignature(publicKey, message, badSignature)).toBe(false)
    },
  )
})

describe('hashedrekord', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const signature = new Uint8Array(sign('sha256', artifact, privateKey))
  const digest = `sha256:${digestOf('sha256').toString('hex')}`

  it('builds the proposed entry Rekor expects', () => {
    const proposed = buildHashedRekordProposedEntry({ digest, signature, publicKeyPem: pemOf(publicKey) })
    expect(proposed).toEqual({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: digest.slice(7) } },
        signature: {
          content: b64(signature),
          publicKey: { content: Buffer.from(pemOf(publicKey)).toString('base64') },
        },
      },
    })
    expect(
      buildHashedRekordProposedEntry({
        digest: digest.slice(7).toUpperCase(),
        signature,
        publicKeyPem: pemOf(publicKey),
      }).spec.data.hash.value,
    ).toBe(digest.slice(7))
  })

  it.each([
    ['no key', { digest, signature }, 'REKOR_INVALID_INPUT'],
    [
      'both key and certificate',
      { digest, signature, publicKeyPem: 'x', certificatePem: 'y' },
      'REKOR_INVALID_INPUT',
    ],
    [
      'bad digest',
      { digest: 'sha256:abc', signature, publicKeyPem: pemOf(publicKey) },
      'REKOR_INVALID_INPUT',
    ],
    [
      'unknown algorithm',
      { digest: `md5:${'a'.repeat(32)}`, signature, publicKeyPem: pemOf(publicKey) },
      'REKOR_INVALID_INPUT',
    ],
    [
      'empty signature',
      { digest, signature: new Uint8Array(), publicKeyPem: pemOf(publicKey) },
      'REKOR_INVALID_INPUT',
    ],
    [
      'garbage key',
      { digest, signature, publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' },
      'REKOR_KEY_INVALID',
    ],
  ])('rejects %s', (_label, input, code) => {
    expect(() => buildHashedRekordProposedEntry(input as never)).toThrowError(
      expect.objectContaining({ code }),
    )
  })

  it('canonicalizes into a stored body that matches and whose signature verifies', async () => {
    const proposed = buildHashedRekordProposedEntry({ digest, signature, publicKeyPem: pemOf(publicKey) })
    const bytes = await canonicalizeProposedEntry(proposed)
    const text = new TextDecoder().decode(bytes)
    expect(
      text.startsWith(
        '{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256"',
      ),
    ).toBe(true)
    const body = bodyOf(bytes)
    verifyEntryBodyMatches(body, { digest, signature, publicKeyOrCertPem: pemOf(publicKey) })
    await verifyEntryBodySignature(body)
    await verifyEntryBodySignature(body, { artifact })
  })

  it('names the field that does not match', async () => {
    const body = bodyOf(
      await canonicalizeProposedEntry(
        buildHashedRekordProposedEntry({ digest, signature, publicKeyPem: pemOf(publicKey) }),
      ),
    )
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const check = (expected: Parameters<typeof verifyEntryBodyMatches>[1], field: string) => {
      try {
        verifyEntryBodyMatches(body, expected)
        expect.unreachable()
      } catch (error) {
        expect(error).toMatchObject({ code: 'REKOR_BODY_MISMATCH', details: { field } })
      }
    }
    check({ digest: `sha256:${'0'.repeat(64)}` }, 'spec.data.hash')
    check({ digest: `sha512:${'0'.repeat(128)}` }, 'spec.data.hash')
    check({ signature: signature.slice(1) }, 'spec.signature.content')
    check({ publicKeyOrCertPem: pemOf(other.publicKey) }, 'spec.signature.publicKey')
    await expect(
      verifyEntryBodySignature(body, { artifact: new TextEncoder().encode('another') }),
    ).rejects.toThrowError(expect.objectContaining({ code: 'REKOR_BODY_MISMATCH' }))
  })

  it('compares keys right when calls alternate between keys (each PEM form keeps only its last decoding)', () => {
    const keys = [
      publicKey,
      ...[1, 2].map(() => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey),
    ]
    const bodyFor = (key: (typeof keys)[number]) =>
      bodyOf(
        new TextEncoder().encode(
          JSON.stringify({
            apiVersion: '0.0.1',
            kind: 'hashedrekord',
            spec: {
              data: {
                hash: { algorithm: 'sha256', value: createHash('sha256').update(artifact).digest('hex') },
              },
              signature: { content: b64(signature), publicKey: { content: b64(Buffer.from(pemOf(key))) } },
            },
          }),
        ),
      )
    const bodies = keys.map(bodyFor)
    for (const [recorded, expected] of [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
      [2, 2],
      [2, 0],
      [0, 0],
      [0, 2],
      [1, 2],
      [1, 1],
    ] as const) {
      const check = () =>
        verifyEntryBodyMatches(bodies[recorded]!, { publicKeyOrCertPem: pemOf(keys[expected]!) })
      if (recorded === expected) expect(check).not.toThrow()
      else expect(check).toThrowError(expect.objectContaining({ code: 'REKOR_BODY_MISMATCH' }))
    }
  })

  it('refuses to canonicalize an entry whose signature does not verify', async () => {
    const proposed = buildHashedRekordProposedEntry({
      digest,
      signature,
      publicKeyPem: pemOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey),
    })
    await expect(canonicalizeProposedEntry(proposed)).rejects.toThrowError(
      expect.objectContaining({ code: 'REKOR_SIGNATURE_INVALID' }),
    )
  })

  it('accepts a pure Ed25519 signature only when the artifact is given', async () => {
    const pair = generateKeyPairSync('ed25519')
    const sha512 = `sha512:${digestOf('sha512').toString('hex')}`
    const proposed = buildHashedRekordProposedEntry({
      digest: sha512,
      signature: new Uint8Array(sign(null, artifact, pair.privateKey)),
      publicKeyPem: pemOf(pair.publicKey),
    })
    await expect(canonicalizeProposedEntry(proposed)).rejects.toThrowError(
      expect.objectContaining({ code: 'REKOR_SIGNATURE_INVALID' }),
    )
    await expect(canonicalizeProposedEntry(proposed, { artifact })).resolves.toBeInstanceOf(Uint8Array)
  })
})

describe('dsse', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const payloadType = 'application/vnd.in-toto+json'
  const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[]}')
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `),
    payload,
  ])
  const sig = sign('sha256', pae, privateKey).toString('base64')
  const envelope = JSON.stringify({
    payload: payload.toString('base64'),
    payloadType,
    signatures: [{ sig, keyid: '' }],
  })

  it('builds, canonicalizes and matches', async () => {
    const proposed = buildDsseProposedEntry({ envelope, verifiers: [pemOf(publicKey)] })
    expect(proposed.spec.proposedContent).toEqual({
      envelope,
      verifiers: [Buffer.from(pemOf(publicKey)).toString('base64')],
    })
    const body = bodyOf(await canonicalizeProposedEntry(proposed))
    expect(body).toMatchObject({
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: createHash('sha256').update(envelope).digest('hex') },
        payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') },
        signatures: [{ signature: sig }],
      },
    })
    verifyEntryBodyMatches(body, {
      envelope,
      publicKeyOrCertPem: pemOf(publicKey),
      digest: `sha256:${createHash('sha256').update(payload).digest('hex')}`,
    })
    await verifyEntryBodySignature(body, { envelope })
  })

  it('detects a different envelope, signature or payload', async () => {
    const body = bodyOf(
      await canonicalizeProposedEntry(buildDsseProposedEntry({ envelope, verifiers: [pemOf(publicKey)] })),
    )
    const otherPayload = JSON.stringify({
      payload: Buffer.from('{}').toString('base64'),
      payloadType,
      signatures: [{ sig }],
    })
    expect(() => verifyEntryBodyMatches(body, { envelope: otherPayload })).toThrowError(
      expect.objectContaining({ code: 'REKOR_BODY_MISMATCH' }),
    )
    const otherSig = JSON.stringify({
      payload: payload.toString('base64'),
      payloadType,
      signatures: [{ sig: sign('sha256', pae, privateKey).toString('base64') }],
    })
    expect(() => verifyEntryBodyMatches(body, { envelope: otherSig })).toThrowError(
      expect.objectContaining({ code: 'REKOR_BODY_MISMATCH' }),
    )
  })

  it('rejects an envelope no verifier signed, and malformed envelopes', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    await expect(
      canonicalizeProposedEntry(buildDsseProposedEntry({ envelope, verifiers: [pemOf(stranger)] })),
    ).rejects.toThrowError(expect.objectContaining({ code: 'REKOR_SIGNATURE_INVALID' }))
    expect(() => buildDsseProposedEntry({ envelope: '{', verifiers: [pemOf(publicKey)] })).toThrowError(
      expect.objectContaining({ code: 'REKOR_INVALID_INPUT' }),
    )
    expect(() =>
      buildDsseProposedEntry({
        envelope: '{"payload":"","payloadType":"x","signatures":[]}',
        verifiers: [pemOf(publicKey)],
      }),
    ).toThrowError(expect.objectContaining({ code: 'REKOR_INVALID_INPUT' }))
    expect(() => buildDsseProposedEntry({ envelope, verifiers: [] })).toThrowError(
      expect.objectContaining({ code: 'REKOR_INVALID_INPUT' }),
    )
  })
})

describe('parseEntryBody', () => {
  it.each([
    ['not base64', '!!!'],
    ['not JSON', b64(new TextEncoder().encode('nope'))],
    ['unknown kind', b64(new TextEncoder().encode('{"kind":"rekord","apiVersion":"0.0.1","spec":{}}'))],
    [
      'wrong version',
      b64(new TextEncoder().encode('{"kind":"hashedrekord","apiVersion":"0.0.2","spec":{}}')),
    ],
    [
      'missing signature',
      b64(
        new TextEncoder().encode(
          '{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{"data":{"hash":{"algorithm":"sha256","value":"ab"}}}}',
        ),
      ),
    ],
  ])('rejects %s with REKOR_BODY_INVALID', (_label, body) => {
    expect(() => parseEntryBody(body)).toThrowError(expect.objectContaining({ code: 'REKOR_BODY_INVALID' }))
  })
  it('parses digests in every accepted form', () => {
    expect(parseDigest('A'.repeat(96))).toEqual({ algorithm: 'sha384', hex: 'a'.repeat(96) })
    expect(() => parseDigest(`sha256:${'a'.repeat(96)}`)).toThrowError(
      expect.objectContaining({ code: 'REKOR_INVALID_INPUT' }),
    )
  })
})
