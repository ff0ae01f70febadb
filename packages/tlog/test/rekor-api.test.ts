import { RekorError, verifyCheckpoint, verifyConsistencyProof } from '@certus-trust/log-protocol'
import { createRekorClient, type RekorClient } from '@certus-trust/rekor'
import { createMemoryStorage } from '@certus-trust/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTransparencyLog, type TransparencyLog } from '../src/index.js'
import { dsseEntry, hashedRekordEntry, p256Signer, verifyEntryOffline } from './helpers.js'
import { startRekorServer } from './http-server.js'

describe('Rekor v1 API over real HTTP with @certus-trust/rekor RekorClient', () => {
  let log: TransparencyLog
  let server: Awaited<ReturnType<typeof startRekorServer>>
  let client: RekorClient
  let keyName: string

  beforeAll(async () => {
    const storage = createMemoryStorage()
    // The base URL is only known after listening; the checkpoint name comes from the configured baseUrl.
    log = await createTransparencyLog({ storage, baseUrl: 'http://127.0.0.1' })
    server = await startRekorServer(log)
    client = createRekorClient({ baseUrl: server.baseUrl, retries: 0, timeout: 5000 })
    keyName = '127.0.0.1'
  })

  afterAll(async () => {
    await server.close()
    await log.close()
  })

  it('serves every operation, and every proof, checkpoint and SET verifies offline', async () => {
    const publicKey = await client.getPublicKey()
    expect(publicKey).toBe(await log.getPublicKey())
    const signer = p256Signer()
    const made = hashedRekordEntry(signer)
    const created = await client.createEntry(made.proposed)
    verifyEntryOffline(created, publicKey, keyName)
    const dsse = dsseEntry(signer)
    const second = await client.createEntry(dsse.proposed)
    verifyEntryOffline(second, publicKey, keyName)
    const third = await client.createEntry(hashedRekordEntry().proposed)

    const byUuid = await client.getEntryByUuid(created.uuid)
    expect(byUuid.uuid).toBe(created.uuid)
    verifyEntryOffline(byUuid, publicKey, keyName)
    const byShortUuid = await client.getEntryByUuid(created.uuid.slice(16))
    expect(byShortUuid.body).toBe(created.body)
    const byIndex = await client.getEntryByIndex(second.logIndex)
    expect(byIndex.uuid).toBe(second.uuid)
    verifyEntryOffline(byIndex, publicKey, keyName)

    expect(await client.searchIndex({ hash: `sha256:${made.digest}` })).toEqual([created.uuid])
    expect(
      (await client.searchIndex({ publicKey: { format: 'x509', content: signer.publicKeyPem } })).sort(),
    ).toEqual([created.uuid, second.uuid].sort())
    const retrieved = await client.retrieveEntries({ uuids: [created.uuid], logIndexes: [2] })
    expect(retrieved.map((entry) => entry.uuid).sort()).toEqual([created.uuid, third.uuid].sort())
    for (const entry of retrieved) verifyEntryOffline(entry, publicKey, keyName)

    const info = await client.getLogInfo()
    expect(info.treeSize).toBe(3)
    const latest = verifyCheckpoint(info.signedTreeHead, { publicKey, name: keyName })
    const firstCheckpoint = verifyCheckpoint(created.verification!.inclusionProof!.checkpoint, { publicKey })
    const proof = await client.getConsistencyProof({
      firstSize: Number(firstCheckpoint.treeSize),
      lastSize: 3,
    })
    verifyConsistencyProof({
      oldSize: firstCheckpoint.treeSize,
      newSize: latest.treeSize,
      oldRoot: firstCheckpoint.rootHash,
      newRoot: latest.rootHash,
      proof: proof.hashes.map((hash) => new Uint8Array(Buffer.from(hash, 'hex'))),
    })
    expect(await client.getPublicKey({ treeID: info.treeID })).toBe(publicKey)
  })

  it('answers a duplicate with 409 and a Location the client follows', async () => {
    const made = hashedRekordEntry()
    const first = await client.createEntry(made.proposed)
    const error = await client.createEntry(made.proposed).catch((caught: unknown) => caught)
    expect(RekorError.is(error, 'REKOR_CONFLICT')).toBe(true)
    const following = createRekorClient({ baseUrl: server.baseUrl, retries: 0, fetchOnConflict: true })
    expect((await following.createEntry(made.proposed)).uuid).toBe(first.uuid)
    const response = await fetch(`${server.baseUrl}/api/v1/log/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(made.proposed),
    })
    expect(response.status).toBe(409)
    expect(response.headers.get('location')).toBe(`${server.baseUrl}/api/v1/log/entries/${first.uuid}`)
    const body = (await response.json()) as { code: number; message: string }
    expect(body).toEqual({
      code: 409,
      message: `an equivalent entry already exists in the transparency log with UUID ${first.uuid}`,
    })
  })

  it('returns 201 with ETag and Location on create', async () => {
    const response = await fetch(`${server.baseUrl}/api/v1/log/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hashedRekordEntry().proposed),
    })
    expect(response.status).toBe(201)
    const body = (await response.json()) as Record<string, unknown>
    const [id] = Object.keys(body)
    expect(response.headers.get('etag')).toBe(id)
    expect(response.headers.get('location')).toBe(`${server.baseUrl}/api/v1/log/entries/${id}`)
  })

  const valid = hashedRekordEntry().proposed
  const badSignature = structuredClone(valid) as { spec: { signature: { content: string } } }
  badSignature.spec.signature.content = Buffer.from('not a signature').toString('base64')
  const cases: Array<{ name: string; method: string; path: string; body?: string; status: number }> = [
    { name: 'non-JSON entry', method: 'POST', path: '/api/v1/log/entries', body: '{nope', status: 400 },
    { name: 'empty entry', method: 'POST', path: '/api/v1/log/entries', body: '{}', status: 400 },
    { name: 'JSON array', method: 'POST', path: '/api/v1/log/entries', body: '[1,2]', status: 400 },
    { name: 'JSON null', method: 'POST', path: '/api/v1/log/entries', body: 'null', status: 400 },
    {
      name: 'unknown kind',
      method: 'POST',
      path: '/api/v1/log/entries',
      body: JSON.stringify({ kind: 'x', apiVersion: '1', spec: {} }),
      status: 400,
    },
    {
      name: 'bad signature',
      method: 'POST',
      path: '/api/v1/log/entries',
      body: JSON.stringify(badSignature),
      status: 400,
    },
    {
      name: 'spec with wrong types',
      method: 'POST',
      path: '/api/v1/log/entries',
      body: JSON.stringify({
        kind: 'hashedrekord',
        apiVersion: '0.0.1',
        spec: { data: { hash: { algorithm: 'md5', value: 1 } }, signature: 7 },
      }),
      status: 400,
    },
    {
      name: 'dsse with junk envelope',
      method: 'POST',
      path: '/api/v1/log/entries',
      body: JSON.stringify({
        kind: 'dsse',
        apiVersion: '0.0.1',
        spec: { proposedContent: { envelope: '{"x":1}', verifiers: ['AAAA'] } },
      }),
      status: 400,
    },
    {
      name: 'huge body',
      method: 'POST',
      path: '/api/v1/log/entries',
      body: JSON.stringify({ kind: 'hashedrekord', pad: 'x'.repeat(5 * 1024 * 1024) }),
      status: 413,
    },
    { name: 'bad uuid', method: 'GET', path: '/api/v1/log/entries/xyz', status: 400 },
    { name: 'unknown uuid', method: 'GET', path: `/api/v1/log/entries/${'a'.repeat(64)}`, status: 404 },
    { name: 'negative index', method: 'GET', path: '/api/v1/log/entries?logIndex=-1', status: 400 },
    { name: 'missing index', method: 'GET', path: '/api/v1/log/entries', status: 400 },
    {
      name: 'huge index',
      method: 'GET',
      path: '/api/v1/log/entries?logIndex=99999999999999999999',
      status: 400,
    },
    { name: 'absent index', method: 'GET', path: '/api/v1/log/entries?logIndex=999999', status: 404 },
    {
      name: 'retrieve non-JSON',
      method: 'POST',
      path: '/api/v1/log/entries/retrieve',
      body: 'x',
      status: 400,
    },
    {
      name: 'retrieve bad types',
      method: 'POST',
      path: '/api/v1/log/entries/retrieve',
      body: '{"logIndexes":["a"]}',
      status: 400,
    },
    {
      name: 'retrieve too many',
      method: 'POST',
      path: '/api/v1/log/entries/retrieve',
      body: JSON.stringify({ logIndexes: Array.from({ length: 11 }, (_, index) => index) }),
      status: 422,
    },
    {
      name: 'retrieve bad entry',
      method: 'POST',
      path: '/api/v1/log/entries/retrieve',
      body: '{"entries":[{"kind":"hashedrekord"}]}',
      status: 400,
    },
    { name: 'search empty', method: 'POST', path: '/api/v1/index/retrieve', body: '{}', status: 400 },
    {
      name: 'search bad hash',
      method: 'POST',
      path: '/api/v1/index/retrieve',
      body: '{"hash":"sha256:12"}',
      status: 400,
    },
    {
      name: 'search bad key',
      method: 'POST',
      path: '/api/v1/index/retrieve',
      body: '{"publicKey":{"format":"x509","content":"!!"}}',
      status: 400,
    },
    {
      name: 'search pgp',
      method: 'POST',
      path: '/api/v1/index/retrieve',
      body: '{"publicKey":{"format":"pgp","content":"AAAA"}}',
      status: 400,
    },
    {
      name: 'search bad operator',
      method: 'POST',
      path: '/api/v1/index/retrieve',
      body: `{"hash":"${'a'.repeat(64)}","operator":"xor"}`,
      status: 400,
    },
    {
      name: 'proof first > last',
      method: 'GET',
      path: '/api/v1/log/proof?firstSize=3&lastSize=2',
      status: 400,
    },
    {
      name: 'proof beyond size',
      method: 'GET',
      path: '/api/v1/log/proof?firstSize=1&lastSize=100000',
      status: 400,
    },
    { name: 'proof junk size', method: 'GET', path: '/api/v1/log/proof?lastSize=abc', status: 400 },
    {
      name: 'proof zero first',
      method: 'GET',
      path: '/api/v1/log/proof?firstSize=0&lastSize=1',
      status: 400,
    },
    {
      name: 'proof unknown tree',
      method: 'GET',
      path: '/api/v1/log/proof?lastSize=1&treeID=42',
      status: 400,
    },
    { name: 'public key bad tree', method: 'GET', path: '/api/v1/log/publicKey?treeID=abc', status: 400 },
  ]
  for (const testCase of cases) {
    it(`answers ${testCase.name} with ${testCase.status} and Rekor's error shape`, async () => {
      const response = await fetch(`${server.baseUrl}${testCase.path}`, {
        method: testCase.method,
        ...(testCase.body === undefined
          ? {}
          : { body: testCase.body, headers: { 'content-type': 'application/json' } }),
      })
      expect(response.status).toBe(testCase.status)
      const text = await response.text()
      if (testCase.status === 404) {
        expect(text).toBe('')
      } else {
        const body = JSON.parse(text) as { code: number; message: string }
        expect(body.code).toBe(testCase.status)
        expect(typeof body.message).toBe('string')
      }
    })
  }

  it('reports inactive shards and serves old-shard entries and keys after a rotation', async () => {
    const before = await client.createEntry(hashedRekordEntry().proposed)
    const oldKey = await client.getPublicKey()
    const oldTree = (await client.getLogInfo()).treeID
    await log.rotateKey()
    const after = await client.createEntry(hashedRekordEntry().proposed)
    const newKey = await client.getPublicKey()
    expect(newKey).not.toBe(oldKey)
    const info = await client.getLogInfo()
    expect(info.treeID).not.toBe(oldTree)
    expect(info.inactiveShards?.map((shard) => shard.treeID)).toEqual([oldTree])
    expect(await client.getPublicKey({ treeID: oldTree })).toBe(oldKey)
    verifyEntryOffline(await client.getEntryByUuid(before.uuid), oldKey, keyName)
    verifyEntryOffline(await client.getEntryByIndex(after.logIndex), newKey, keyName)
    expect(after.logIndex).toBe(before.logIndex + 1)
  })
})
