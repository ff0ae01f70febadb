import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { preAuthEncoding } from '@certus-trust/core'
import {
  hashLeaf,
  RekorError,
  tilePath,
  verifyCheckpoint,
  verifyInclusionProof,
} from '@certus-trust/log-protocol'
import {
  buildDsseRequestV002,
  buildHashedRekordRequestV002,
  keyDetailsFor,
} from '@certus-trust/log-protocol/entries'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { RekorV2Client, type RekorV2ClientOptions, TilesClient } from '../src/index.js'
import { FakeRekorV2 } from './fake-rekor-v2.js'

const fake = new FakeRekorV2()
const server = setupServer(...fake.handlers())
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }))
afterEach(() => {
  fake.tamper = {}
})
afterAll(() => server.close())

const fast: RekorV2ClientOptions = {
  baseUrl: fake.baseUrl,
  logKey: fake.publicKey,
  retries: 0,
  timeout: 2000,
}
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ecPem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString()

function hashedRequest(text: string) {
  const artifact = Buffer.from(text)
  const digest = createHash('sha256').update(artifact).digest('hex')
  return buildHashedRekordRequestV002({
    digest: `sha256:${digest}`,
    signature: new Uint8Array(sign('sha256', artifact, ec.privateKey)),
    verifier: { publicKey: ecPem },
  })
}

describe('Rekor v2 requests', () => {
  it('derives key details per algorithm', () => {
    const key = (type: string, options: object) =>
      (generateKeyPairSync as (t: string, o: object) => { publicKey: import('node:crypto').KeyObject })(
        type,
        options,
      ).publicKey
    expect(keyDetailsFor(ecPem)).toBe('PKIX_ECDSA_P256_SHA_256')
    const p384 = key('ec', { namedCurve: 'P-384' })
    expect(keyDetailsFor(p384, { hash: 'sha384' })).toBe('PKIX_ECDSA_P384_SHA_384')
    expect(keyDetailsFor(p384)).toBe('PKIX_ECDSA_P384_SHA_256')
    expect(keyDetailsFor(key('ec', { namedCurve: 'P-521' }), { hash: 'sha512' })).toBe(
      'PKIX_ECDSA_P521_SHA_512',
    )
    const rsa3072 = key('rsa', { modulusLength: 3072 })
    expect(keyDetailsFor(rsa3072)).toBe('PKIX_RSA_PKCS1V15_3072_SHA256')
    expect(keyDetailsFor(rsa3072, { rsaPss: true })).toBe('PKIX_RSA_PSS_3072_SHA256')
    expect(keyDetailsFor(key('rsa-pss', { modulusLength: 2048 }))).toBe('PKIX_RSA_PSS_2048_SHA256')
    expect(keyDetailsFor(key('ed25519', {}))).toBe('PKIX_ED25519')
    expect(() => keyDetailsFor(key('ec', { namedCurve: 'secp256k1' }))).toThrow(/no Rekor v2 key details/)
    expect(() => keyDetailsFor(key('rsa', { modulusLength: 1024 }))).toThrow(/2048, 3072 or 4096/)
  })

  it('builds the exact hashedRekordRequestV002 shape and refuses a digest the key details do not sign', () => {
    const request = hashedRequest('shape')
    expect(Object.keys(request.hashedRekordRequestV002)).toEqual(['digest', 'signature'])
    expect(Buffer.from(request.hashedRekordRequestV002.digest, 'base64')).toHaveLength(32)
    expect(request.hashedRekordRequestV002.signature.verifier).toEqual({
      publicKey: { rawBytes: ec.publicKey.export({ type: 'spki', format: 'der' }).toString('base64') },
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
    })
    expect(() =>
      buildHashedRekordRequestV002({
        digest: `sha384:${'ab'.repeat(48)}`,
        signature: new Uint8Array([1]),
        verifier: { publicKey: ecPem },
      }),
    ).toThrow(/no Rekor v2 key details for ECDSA prime256v1 with sha384/)
    expect(() =>
      buildHashedRekordRequestV002({
        digest: `sha256:${'ab'.repeat(32)}`,
        signature: new Uint8Array([1]),
        verifier: { publicKey: ecPem, keyDetails: 'PKIX_ECDSA_P384_SHA_384' },
      }),
    ).toThrow(/sign sha384 digests, not sha256/)
    expect(() =>
      buildHashedRekordRequestV002({
        digest: 'sha256:abc',
        signature: new Uint8Array([1]),
        verifier: { publicKey: ecPem },
      }),
    ).toThrow(RekorError)
  })
})

describe('RekorV2Client.createV2Entry', () => {
  it('logs a hashedrekord and returns a bundle entry whose proof and checkpoint verify', async () => {
    const client = new RekorV2Client(fast)
    const entry = await client.createV2Entry(hashedRequest('first artifact'))
    expect(entry.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' })
    expect(entry.integratedTime).toBe('0')
    expect(entry.inclusionPromise).toBeUndefined()
    expect(Buffer.from(entry.logId.keyId, 'base64')).toEqual(Buffer.from(fake.keyId))
    const checkpoint = verifyCheckpoint(entry.inclusionProof!.checkpoint.envelope, {
      publicKey: fake.publicKey,
      keyHint: fake.keyId.slice(0, 4),
    })
    verifyInclusionProof({
      leafIndex: BigInt(entry.inclusionProof!.logIndex),
      treeSize: checkpoint.treeSize,
      leafHash: hashLeaf(Buffer.from(entry.canonicalizedBody, 'base64')),
      proof: entry.inclusionProof!.hashes.map((hash) => Buffer.from(hash, 'base64')),
      rootHash: checkpoint.rootHash,
    })
  })

  it('logs a DSSE envelope', async () => {
    const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}')
    const sig = sign('sha256', preAuthEncoding('application/vnd.in-toto+json', payload), ec.privateKey)
    const envelope = {
      payload: payload.toString('base64'),
      payloadType: 'application/vnd.in-toto+json',
      signatures: [{ sig: sig.toString('base64'), keyid: '' }],
    }
    const request = buildDsseRequestV002({ envelope, verifiers: [{ publicKey: ecPem }] })
    const entry = await new RekorV2Client(fast).createV2Entry(request)
    expect(entry.kindVersion).toEqual({ kind: 'dsse', version: '0.0.2' })
  })

  it('resolves a duplicate (409 + x-log-index) to the logged entry, read back from the tiles', async () => {
    const client = new RekorV2Client({ ...fast, tilesUrl: fake.baseUrl })
    const request = hashedRequest('duplicate')
    const first = await client.createV2Entry(request)
    fake.appendRaw(Buffer.from('a later leaf'))
    const again = await client.createV2Entry(request)
    expect(again.logIndex).toBe(first.logIndex)
    expect(again.canonicalizedBody).toBe(first.canonicalizedBody)
    expect(again.logId).toEqual(first.logId)
    expect(BigInt(again.inclusionProof!.treeSize)).toBe(BigInt(first.inclusionProof!.treeSize) + 1n)
    const checkpoint = verifyCheckpoint(again.inclusionProof!.checkpoint.envelope, {
      publicKey: fake.publicKey,
      keyHint: fake.keyId.slice(0, 4),
    })
    verifyInclusionProof({
      leafIndex: BigInt(again.logIndex),
      treeSize: checkpoint.treeSize,
      leafHash: hashLeaf(Buffer.from(again.canonicalizedBody, 'base64')),
      proof: again.inclusionProof!.hashes.map((hash) => Buffer.from(hash, 'base64')),
      rootHash: checkpoint.rootHash,
    })
    // Without the log key (no log ID to name) or with fetchOnConflict off, the 409 stays a typed conflict.
    for (const options of [{ logKey: undefined }, { fetchOnConflict: false }]) {
      const error = await new RekorV2Client({ ...fast, ...options })
        .createV2Entry(request)
        .catch((caught: unknown) => caught)
      expect(RekorError.is(error, 'REKOR_CONFLICT')).toBe(true)
      expect((error as RekorError).details.logIndex).toBe(Number(first.logIndex))
    }
  })

  it('maps a 400 with a grpc-gateway body to REKOR_INVALID_REQUEST', async () => {
    const request = hashedRequest('bad') as unknown as { hashedRekordRequestV002: { digest: string } }
    request.hashedRekordRequestV002.digest = Buffer.alloc(20).toString('base64')
    const error = await new RekorV2Client(fast)
      .createV2Entry(request as never)
      .catch((caught: unknown) => caught)
    expect(RekorError.is(error, 'REKOR_INVALID_REQUEST')).toBe(true)
    expect((error as RekorError).details.rekorMessage).toBe('digest length mismatch')
  })

  it.each([
    ['a body that records something else', { body: true }, /does not record the request/],
    ['a proof that does not lead to the checkpoint', { proof: true }, /inclusion proof does not hold/],
  ])('refuses %s', async (_, tamper, message) => {
    fake.appendRaw(Buffer.from('filler'))
    fake.tamper = tamper
    const error = await new RekorV2Client(fast)
      .createV2Entry(hashedRequest(`tampered ${message}`))
      .catch((caught: unknown) => caught)
    expect(RekorError.is(error, 'REKOR_RESPONSE_INVALID')).toBe(true)
    expect((error as Error).message).toMatch(message)
  })

  it('refuses a checkpoint signed by another key', async () => {
    fake.tamper = { checkpointKey: generateKeyPairSync('ed25519').privateKey }
    const error = await new RekorV2Client(fast)
      .createV2Entry(hashedRequest('forged'))
      .catch((caught: unknown) => caught)
    expect(RekorError.is(error, 'REKOR_RESPONSE_INVALID')).toBe(true)
    expect((error as Error).message).toMatch(/not signed by the log key/)
  })

  it('refuses a non-JSON answer and a missing inclusion proof', async () => {
    const garbage = new RekorV2Client({
      ...fast,
      fetch: async () => new Response('<html>', { status: 201 }),
    })
    await expect(garbage.createV2Entry(hashedRequest('x'))).rejects.toMatchObject({
      code: 'REKOR_RESPONSE_INVALID',
    })
    const noProof = new RekorV2Client({
      ...fast,
      fetch: async () =>
        Response.json(
          {
            logIndex: '0',
            logId: { keyId: 'AA==' },
            kindVersion: { kind: 'hashedrekord', version: '0.0.2' },
            canonicalizedBody: 'AA==',
          },
          { status: 201 },
        ),
    })
    const error = await noProof.createV2Entry(hashedRequest('y')).catch((caught: unknown) => caught)
    expect((error as RekorError).details.field).toBe('inclusionProof')
  })
})

describe('TilesClient', () => {
  it('encodes tile paths as C2SP tlog-tiles does', () => {
    expect(tilePath(0, 0n)).toBe('tile/0/000')
    expect(tilePath(1, 1234067n)).toBe('tile/1/x001/x234/067')
    expect(tilePath('entries', 5n, 17)).toBe('tile/entries/005.p/17')
    expect(() => tilePath(0, 0n, 0)).toThrow(RekorError)
  })

  it('reads entries and proves inclusion from full, partial and level-2 tiles', async () => {
    const client = new RekorV2Client(fast)
    const logged = await client.createV2Entry(hashedRequest('tiled artifact'))
    // Grow the tree past 65 536 leaves so proofs need level-2 tiles, a full level-1 tile and partial tiles.
    for (let index = fake.size; index < 65_536 + 300; index++) fake.appendRaw(Buffer.from(`leaf ${index}`))
    const tiles = new TilesClient({ baseUrl: fake.baseUrl, logKey: fake.publicKey, retries: 0 })
    const checkpoint = await tiles.getCheckpoint()
    expect(checkpoint.treeSize).toBe(BigInt(fake.size))
    for (const index of [
      0n,
      BigInt(logged.logIndex),
      255n,
      256n,
      65_535n,
      65_536n,
      checkpoint.treeSize - 1n,
    ]) {
      const proof = await tiles.proveInclusion(index, checkpoint)
      expect(proof.hashes.map((hash) => Buffer.from(hash).toString('hex'))).toEqual(
        fake.proof(Number(index), fake.size).map((hash) => Buffer.from(hash).toString('hex')),
      )
    }
    const body = await tiles.getEntry(BigInt(logged.logIndex), checkpoint)
    expect(Buffer.from(body).toString('base64')).toBe(logged.canonicalizedBody)
    expect(Buffer.from(await tiles.getEntry(65_540n, checkpoint)).toString()).toBe('leaf 65540')
    expect(fake.requests.some((request) => request.url.includes('/tile/2/000.p/1'))).toBe(true)
  })

  it('refuses a checkpoint with the wrong origin or signer, and tiles that do not match the root', async () => {
    const wrongOrigin = new TilesClient({
      baseUrl: fake.baseUrl,
      logKey: fake.publicKey,
      origin: 'other.example',
      retries: 0,
    })
    await expect(wrongOrigin.getCheckpoint()).rejects.toMatchObject({
      code: 'REKOR_CHECKPOINT_SIGNATURE_INVALID',
    })
    const wrongKey = new TilesClient({
      baseUrl: fake.baseUrl,
      logKey: generateKeyPairSync('ed25519').publicKey,
      retries: 0,
    })
    await expect(wrongKey.getCheckpoint()).rejects.toMatchObject({
      code: 'REKOR_CHECKPOINT_SIGNATURE_INVALID',
    })
    const tiles = new TilesClient({ baseUrl: fake.baseUrl, logKey: fake.publicKey, retries: 0 })
    const checkpoint = await tiles.getCheckpoint()
    const forged = { ...checkpoint, rootHash: new Uint8Array(32) }
    await expect(tiles.proveInclusion(3n, forged)).rejects.toMatchObject({
      code: 'REKOR_INCLUSION_PROOF_INVALID',
    })
    await expect(tiles.proveInclusion(checkpoint.treeSize, checkpoint)).rejects.toMatchObject({
      code: 'REKOR_INVALID_INPUT',
    })
  })

  it('refuses a hash tile of the wrong length and a truncated entry bundle', async () => {
    const short = new TilesClient({
      baseUrl: fake.baseUrl,
      logKey: fake.publicKey,
      retries: 0,
      fetch: async () => new Response(new Uint8Array(40)),
    })
    await expect(short.getHashTile(0, 0n)).rejects.toMatchObject({ code: 'REKOR_RESPONSE_INVALID' })
    await expect(short.getEntryBundle(0n, 1)).rejects.toMatchObject({ code: 'REKOR_RESPONSE_INVALID' })
  })
})
