import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, digestOf, SIGNER_KEY, startTestServer, VERIFIER_KEY } from './helpers.js'

// The production guide's clients: signatures as hex on both sides, proofs by default, and input that every
// backend can store checked before anything is signed or logged.
let base: string
let cleanup: () => Promise<void>

beforeAll(async () => {
  const started = await startTestServer('sqlite')
  base = started.server.url
  cleanup = started.cleanup
})
afterAll(async () => {
  await cleanup?.()
})

const sign = (body: Record<string, unknown>) =>
  call(base, 'POST', '/v1/sign', SIGNER_KEY, { artifact_type: 'file', ...body })
const verify = (body: Record<string, unknown>) => call(base, 'POST', '/v1/verify', VERIFIER_KEY, body)
const treeSize = async () => Number((await call(base, 'GET', '/api/v1/log', VERIFIER_KEY)).json.treeSize)

describe('signatures in hex, as the guide exchanges them', () => {
  it('sign answers hex on request; verify reads hex and base64, with or without signature_encoding', async () => {
    const artifact = digestOf('guide-hex')
    const signed = await sign({ artifact, subject: 'guide.txt', signature_encoding: 'hex' })
    expect(signed.status).toBe(201)
    expect(signed.json.signature).toMatch(/^(?:[0-9a-f]{2})+$/)
    const base64 = Buffer.from(signed.json.signature, 'hex').toString('base64')
    expect(signed.json.bundle.messageSignature.signature).toBe(base64)
    const publicKey = signed.json.public_key
    for (const [signature, signature_encoding] of [
      [signed.json.signature, undefined],
      [signed.json.signature, 'hex'],
      [signed.json.signature.toUpperCase(), undefined],
      [base64, undefined],
      [base64, 'base64'],
    ]) {
      const result = await verify({ artifact, signature, public_key: publicKey, signature_encoding })
      expect(result.status, `${signature_encoding}`).toBe(200)
      expect(result.json, `${signature_encoding}: ${signature.slice(0, 12)}`).toMatchObject({
        valid: true,
        transparency_index: signed.json.transparency_entry.index,
      })
    }
    // A reading that is not the one named does not verify: hex read as base64 is other bytes.
    const wrongReading = await verify({
      artifact,
      signature: signed.json.signature,
      public_key: publicKey,
      signature_encoding: 'base64',
    })
    expect(wrongReading.json).toMatchObject({
      valid: false,
      failure: { code: 'VERIFIER_SIGNATURE_MISMATCH' },
    })
    // A valid signature for another artifact stays invalid in either form.
    const other = await verify({
      artifact: digestOf('other'),
      signature: signed.json.signature,
      public_key: publicKey,
    })
    expect(other.json).toMatchObject({ valid: false })
    // The longest signature text accepted is checked like any other: invalid, not an error.
    const longest = await verify({ artifact, signature: 'A'.repeat(65_536), public_key: publicKey })
    expect(longest.status).toBe(200)
    expect(longest.json).toMatchObject({ valid: false })
  })

  it('answers 400 when the signature is neither, or not the encoding named, or oversize', async () => {
    const signed = await sign({ artifact: digestOf('guide-400'), subject: 'guide.txt' })
    const publicKey = signed.json.public_key
    for (const [signature, signature_encoding] of [
      ['abc', 'hex'], // odd number of hex digits
      ['a', undefined], // neither: one character is no base64 quantum and no hex byte
      ['zz==', 'hex'],
      ['abcd', 'nonsense'],
      ['a'.repeat(65_537), undefined],
    ] as Array<[string, string | undefined]>) {
      const result = await verify({
        artifact: digestOf('guide-400'),
        signature,
        public_key: publicKey,
        signature_encoding,
      })
      expect(result.status, `${signature.slice(0, 8)} ${signature_encoding}`).toBe(400)
      expect(result.json.error.code).toMatch(/_BAD_REQUEST$/)
    }
  })
})

describe('GET /v1/transparency/{id}', () => {
  it('includes the inclusion proof unless include_proof=false, as the guide does', async () => {
    const signed = await sign({ artifact: digestOf('guide-proof'), subject: 'guide.txt' })
    const id = signed.json.entry_id
    const byDefault = await call(base, 'GET', `/v1/transparency/${id}`, VERIFIER_KEY)
    expect(byDefault.status).toBe(200)
    expect(byDefault.json.proof).toMatchObject({
      tree_size: expect.any(Number),
      checkpoint: expect.any(String),
    })
    const without = await call(base, 'GET', `/v1/transparency/${id}?include_proof=false`, VERIFIER_KEY)
    expect(without.json.proof).toBeUndefined()
  })
})

describe('input that cannot be stored is refused before signing', () => {
  it('U+0000 and unpaired surrogates in the subject or a predicate are a 400, and nothing is logged', async () => {
    const before = await treeSize()
    const predicate = (value: string) => [{ type: 'https://example.com/p', predicate: { note: value } }]
    for (const body of [
      { subject: 'nul\u0000.txt' },
      { subject: 'half-\ud800.txt' },
      { subject: 'low-\udc00-first.txt' },
      { subject: 'ok.txt', predicates: predicate('a\u0000b') },
      { subject: 'ok.txt', predicates: [{ type: 'https://example.com/p', predicate: { 'k\ud800': 1 } }] },
      { subject: 'ok.txt', predicates: [{ type: 'https://example.com/\u0000', predicate: {} }] },
    ]) {
      // JSON.stringify escapes lone surrogates (\ud800), so the server receives them as JSON escapes.
      const result = await sign({
        artifact: digestOf(`storable-${createHash('sha1').update(JSON.stringify(body)).digest('hex')}`),
        ...body,
      })
      expect(result.status, JSON.stringify(body)).toBe(400)
      expect(result.json.error.code).toBe('SERVER_BAD_REQUEST')
    }
    expect(await treeSize()).toBe(before)
    // A proper pair (an emoji) is fine.
    expect((await sign({ artifact: digestOf('emoji'), subject: 'release-\ud83d\ude80.txt' })).status).toBe(
      201,
    )
    expect(await treeSize()).toBe(before + 1)
  })
})

describe('response headers', () => {
  it('API answers are not cacheable, and plain HTTP carries no HSTS', async () => {
    for (const [method, path, key, body] of [
      ['GET', '/v1/health', undefined, undefined],
      [
        'POST',
        '/v1/sign',
        SIGNER_KEY,
        { artifact: digestOf('headers'), artifact_type: 'file', subject: 'h.txt' },
      ],
      ['POST', '/v1/verify', VERIFIER_KEY, { artifact: 'nope' }],
      ['GET', '/api/v1/log', VERIFIER_KEY, undefined],
    ] as const) {
      const response = await call(base, method, path, key, body)
      expect(response.headers.get('cache-control'), path).toBe('no-store')
      expect(response.headers.get('strict-transport-security'), path).toBeNull()
    }
  })
})
