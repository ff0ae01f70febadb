import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import {
  logIdFromPublicKey,
  RekorError,
  verifyCheckpoint,
  verifyConsistencyProof,
} from '@certus-trust/log-protocol'
import {
  buildDsseProposedEntry,
  buildHashedRekordProposedEntry,
  verifyEntry,
} from '@certus-trust/log-protocol/entries'
import { delay, HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createRekorClient, RekorClient, type RekorClientOptions } from '../src/index.js'
import { FakeRekor } from './fake-rekor.js'
import type { Json } from './helpers.js'

const fake = new FakeRekor()
const server = setupServer(...fake.handlers())
const api = `${fake.baseUrl}/api/v1`

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const fast: RekorClientOptions = {
  baseUrl: fake.baseUrl,
  retries: 2,
  retryDelay: { baseMs: 1, maxMs: 4 },
  timeout: 2000,
}
const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const signerPem = signer.publicKey.export({ type: 'spki', format: 'pem' }).toString()

function signedArtifact(text: string) {
  const artifact = new TextEncoder().encode(text)
  const digest = createHash('sha256').update(artifact).digest('hex')
  const signature = new Uint8Array(sign('sha256', artifact, signer.privateKey))
  return {
    artifact,
    digest,
    signature,
    proposed: buildHashedRekordProposedEntry({
      digest: `sha256:${digest}`,
      signature,
      publicKeyPem: signerPem,
    }),
  }
}

function dsseEnvelope(payload: string) {
  const payloadType = 'application/vnd.in-toto+json'
  const body = Buffer.from(payload)
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${body.length} `),
    body,
  ])
  const sig = sign('sha256', pae, signer.privateKey).toString('base64')
  return JSON.stringify({ payload: body.toString('base64'), payloadType, signatures: [{ sig, keyid: '' }] })
}

async function expectRekorError(promise: Promise<unknown>, code: string): Promise<RekorError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(RekorError.is(error), `expected a RekorError ${code}, got ${String(error)}`).toBe(true)
  expect((error as RekorError).code).toBe(code)
  return error as RekorError
}

beforeEach(() => {
  fake.requests.length = 0
})

describe('createEntry', () => {
  it('posts a hashedrekord 0.0.1 entry and returns a verifiable LogEntry', async () => {
    const client = new RekorClient({ ...fast, userAgent: 'test-agent/1', headers: { 'x-extra': 'yes' } })
    const { artifact, digest, proposed } = signedArtifact('hello create')
    const entry = await client.createEntry(proposed)
    expect(entry.uuid).toMatch(new RegExp(`^${fake.treePrefix}[0-9a-f]{64}$`))
    const request = fake.requests[0]!
    expect(request.method).toBe('POST')
    expect(request.url).toBe(`${api}/log/entries`)
    expect(request.headers.get('user-agent')).toBe('test-agent/1')
    expect(request.headers.get('x-extra')).toBe('yes')
    expect(request.headers.get('content-type')).toMatch(/application\/json/)
    expect(request.body).toMatchObject({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: { data: { hash: { algorithm: 'sha256', value: digest } } },
    })
    const result = await verifyEntry(entry, {
      logKey: fake.publicKey,
      artifact,
      requireBoth: true,
      checkpointName: fake.hostname,
    })
    expect(result.passed).toEqual([
      'uuid',
      'logId',
      'body',
      'signedEntryTimestamp',
      'checkpoint',
      'inclusionProof',
      'artifact',
      'signature',
    ])
  })

  it('posts a dsse 0.0.1 entry with the envelope as a string', async () => {
    const artifact = new TextEncoder().encode('attested artifact')
    const subject = { name: 'a', digest: { sha256: createHash('sha256').update(artifact).digest('hex') } }
    const envelope = dsseEnvelope(
      JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [subject] }),
    )
    const entry = await createRekorClient(fast).createEntry(
      buildDsseProposedEntry({ envelope, verifiers: [signerPem] }),
    )
    expect(typeof (fake.requests[0]!.body as Json).spec.proposedContent.envelope).toBe('string')
    const result = await verifyEntry(entry, { logKey: fake.publicKey, envelope, artifact })
    expect(result.body.kind).toBe('dsse')
    expect(result.passed).toEqual(expect.arrayContaining(['artifact', 'expectedContent', 'signature']))
    await expect(
      verifyEntry(entry, { logKey: fake.publicKey, envelope, artifact: new TextEncoder().encode('other') }),
    ).rejects.toThrowError(
      expect.objectContaining({ code: 'REKOR_BODY_MISMATCH', details: { check: 'artifact' } }),
    )
  })

  it('maps 409 to REKOR_CONFLICT exposing the existing entry', async () => {
    const client = new RekorClient(fast)
    const { proposed } = signedArtifact('duplicate me')
    const first = await client.createEntry(proposed)
    const error = await expectRekorError(client.createEntry(proposed), 'REKOR_CONFLICT')
    expect(error.details.uuid).toBe(first.uuid)
    expect(error.details.location).toBe(`${api}/log/entries/${first.uuid}`)
    expect(error.details.status).toBe(409)
    expect(error.message).toContain('an equivalent entry already exists')
  })

  it('with fetchOnConflict, resolves a first-attempt 409 to the existing entry', async () => {
    const { proposed } = signedArtifact('fetch on conflict')
    const first = await new RekorClient(fast).createEntry(proposed)
    const again = await new RekorClient({ ...fast, fetchOnConflict: true }).createEntry(proposed)
    // ECDSA SETs are randomized, so compare the identifying fields.
    expect([again.uuid, again.logIndex, again.body]).toEqual([first.uuid, first.logIndex, first.body])
  })

  it('a retried create that meets 409 resolves to the existing entry (no second entry)', async () => {
    const { proposed } = signedArtifact('created then 503')
    let calls = 0
    server.use(
      http.post(`${api}/log/entries`, async ({ request }) => {
        calls++
        if (calls === 1) {
          // The log stores the entry, but the response is lost behind a 503.
          const real = fake.handlers()[0]!
          await real.run({ request: request.clone(), requestId: 'x' } as never)
          return HttpResponse.json({ code: 503, message: 'upstream unavailable' }, { status: 503 })
        }
        return undefined
      }),
    )
    const before = fake.bodies.length
    const entry = await new RekorClient(fast).createEntry(proposed)
    expect(calls).toBe(2)
    expect(fake.bodies.length).toBe(before + 1)
    expect(entry.logIndex).toBe(before)
    expect(
      fake.requests.some((request) => request.method === 'GET' && request.url.endsWith(entry.uuid)),
    ).toBe(true)
  })

  it("maps a 400 with Rekor's error body to REKOR_INVALID_REQUEST", async () => {
    const { proposed } = signedArtifact('bad signature')
    proposed.spec.signature.content = Buffer.from('not a signature').toString('base64')
    const error = await expectRekorError(new RekorClient(fast).createEntry(proposed), 'REKOR_INVALID_REQUEST')
    expect(error.details.rekorCode).toBe(400)
    expect(String(error.details.rekorMessage)).toMatch(/^error processing entry/)
  })
})

describe('reads', () => {
  let created: Awaited<ReturnType<RekorClient['createEntry']>>
  beforeAll(async () => {
    created = await new RekorClient(fast).createEntry(signedArtifact('read me').proposed)
    await new RekorClient(fast).createEntry(signedArtifact('read me too').proposed)
  })

  it('gets an entry by 80-hex entry ID and by 64-hex UUID', async () => {
    const client = new RekorClient(fast)
    const byId = await client.getEntryByUuid(created.uuid)
    const byUuid = await client.getEntryByUuid(created.uuid.slice(16).toUpperCase())
    expect(byId.body).toBe(created.body)
    expect(byUuid.uuid).toBe(created.uuid)
    expect(fake.requests.map((request) => new URL(request.url).pathname)).toEqual([
      `/api/v1/log/entries/${created.uuid}`,
      `/api/v1/log/entries/${created.uuid.slice(16)}`,
    ])
  })

  it('rejects malformed UUIDs without a request', async () => {
    await expectRekorError(new RekorClient(fast).getEntryByUuid('abc'), 'REKOR_INVALID_INPUT')
    expect(fake.requests).toHaveLength(0)
  })

  it('maps an empty-body 404 to REKOR_NOT_FOUND', async () => {
    const error = await expectRekorError(
      new RekorClient(fast).getEntryByUuid('ab'.repeat(32)),
      'REKOR_NOT_FOUND',
    )
    expect(error.details.status).toBe(404)
    await expectRekorError(new RekorClient(fast).getEntryByIndex(10_000), 'REKOR_NOT_FOUND')
  })

  it('rejects a response keyed by another entry', async () => {
    const other = await new RekorClient(fast).getEntryByIndex(created.logIndex + 1)
    server.use(
      http.get(`${api}/log/entries/:id`, () =>
        HttpResponse.json({ [other.uuid]: { ...other, uuid: undefined } }),
      ),
    )
    const error = await expectRekorError(
      new RekorClient(fast).getEntryByUuid(created.uuid),
      'REKOR_RESPONSE_INVALID',
    )
    expect(error.details.field).toBe('(key)')
  })

  it('gets an entry by log index', async () => {
    const entry = await new RekorClient(fast).getEntryByIndex(created.logIndex)
    expect(entry.uuid).toBe(created.uuid)
    expect(new URL(fake.requests[0]!.url).searchParams.get('logIndex')).toBe(String(created.logIndex))
    await expectRekorError(new RekorClient(fast).getEntryByIndex(-1), 'REKOR_INVALID_INPUT')
  })

  it('caches immutable entries within the bound, never log info', async () => {
    const client = new RekorClient({ ...fast, cache: { maxEntries: 2 } })
    await client.getEntryByIndex(created.logIndex)
    await client.getEntryByIndex(created.logIndex)
    await client.getEntryByUuid(created.uuid.slice(16))
    expect(fake.requests).toHaveLength(1)
    await client.getEntryByIndex(created.logIndex + 1) // evicts the oldest keys (bound = 2 keys)
    await client.getEntryByIndex(created.logIndex)
    expect(fake.requests).toHaveLength(3)
    await client.getLogInfo()
    await client.getLogInfo()
    expect(fake.requests).toHaveLength(5)
  })

  it('searches the index by hash, public key and email', async () => {
    const client = new RekorClient(fast)
    const body = JSON.parse(Buffer.from(created.body, 'base64').toString())
    const byHash = await client.searchIndex({ hash: `sha256:${body.spec.data.hash.value}` })
    expect(byHash).toEqual([created.uuid])
    const byKey = await client.searchIndex({ publicKey: { format: 'x509', content: signerPem } })
    expect(byKey).toContain(created.uuid)
    expect(await client.searchIndex({ email: 'nobody@example.com', operator: 'and' })).toEqual([])
    expect(fake.requests.map((request) => request.body)).toEqual([
      { hash: `sha256:${body.spec.data.hash.value}` },
      { publicKey: { format: 'x509', content: Buffer.from(signerPem).toString('base64') } },
      { email: 'nobody@example.com', operator: 'and' },
    ])
    await expectRekorError(client.searchIndex({}), 'REKOR_INVALID_INPUT')
  })

  it('retrieves several entries, leaving out unknown ones', async () => {
    const entries = await new RekorClient(fast).retrieveEntries({
      uuids: [created.uuid, 'cd'.repeat(32)],
      logIndexes: [created.logIndex + 1],
    })
    expect(entries.map((entry) => entry.logIndex)).toEqual([created.logIndex, created.logIndex + 1])
    expect(fake.requests[0]!.body).toEqual({
      entryUUIDs: [created.uuid, 'cd'.repeat(32)],
      logIndexes: [created.logIndex + 1],
    })
    const tooMany = Array.from({ length: 11 }, (_, index) => index)
    const error = await expectRekorError(
      new RekorClient(fast).retrieveEntries({ logIndexes: tooMany }),
      'REKOR_INVALID_REQUEST',
    )
    expect(error.details.status).toBe(422)
  })

  it('gets log info with a verifiable signed tree head', async () => {
    const info = await new RekorClient(fast).getLogInfo()
    expect(info.treeSize).toBe(fake.bodies.length)
    expect(info.treeID).toBe(fake.treeId.toString())
    const checkpoint = verifyCheckpoint(info.signedTreeHead, {
      publicKey: fake.publicKey,
      name: fake.hostname,
    })
    expect(checkpoint.treeSize).toBe(BigInt(info.treeSize))
    expect(Buffer.from(checkpoint.rootHash).toString('hex')).toBe(info.rootHash)
  })

  it('gets a consistency proof that verifies between two checkpoints', async () => {
    const oldCheckpoint = verifyCheckpoint(fake.checkpoint(2), { publicKey: fake.publicKey })
    const newCheckpoint = verifyCheckpoint(fake.checkpoint(), { publicKey: fake.publicKey })
    const proof = await new RekorClient(fast).getConsistencyProof({
      firstSize: 2,
      lastSize: fake.bodies.length,
    })
    const params = new URL(fake.requests[0]!.url).searchParams
    expect([params.get('firstSize'), params.get('lastSize')]).toEqual(['2', String(fake.bodies.length)])
    verifyConsistencyProof({
      oldSize: oldCheckpoint.treeSize,
      newSize: newCheckpoint.treeSize,
      oldRoot: oldCheckpoint.rootHash,
      newRoot: newCheckpoint.rootHash,
      proof: proof.hashes.map((hash) => Buffer.from(hash, 'hex')),
    })
    await expectRekorError(
      new RekorClient(fast).getConsistencyProof({ firstSize: 1, lastSize: 10_000 }),
      'REKOR_INVALID_REQUEST',
    )
    await expectRekorError(
      new RekorClient(fast).getConsistencyProof({ firstSize: 3, lastSize: 2 }),
      'REKOR_INVALID_INPUT',
    )
  })

  it("gets the public key as PEM, whose log ID is the entries' logID", async () => {
    const pem = await new RekorClient(fast).getPublicKey()
    expect(logIdFromPublicKey(pem)).toBe(created.logID)
    server.use(http.get(`${api}/log/publicKey`, () => HttpResponse.text('<html>oops</html>')))
    const error = await expectRekorError(new RekorClient(fast).getPublicKey(), 'REKOR_RESPONSE_INVALID')
    expect(error.details.field).toBe('(body)')
  })
})

describe('log info shapes', () => {
  it('parses inactive shards', async () => {
    const shard = { rootHash: 'ab'.repeat(32), treeSize: 10, signedTreeHead: 'x', treeID: '42' }
    server.use(
      http.get(`${api}/log`, () => HttpResponse.json({ ...shard, treeID: '43', inactiveShards: [shard] })),
    )
    const info = await new RekorClient(fast).getLogInfo()
    expect(info.inactiveShards).toEqual([shard])
  })

  it('takes the existing entry ID from the 409 message when Location is missing', async () => {
    const id = `${fake.treePrefix}${'cd'.repeat(32)}`
    server.use(
      http.post(`${api}/log/entries`, () =>
        HttpResponse.json(
          {
            code: 409,
            message: `an equivalent entry already exists in the transparency log with UUID ${id}`,
          },
          { status: 409 },
        ),
      ),
    )
    const error = await expectRekorError(
      new RekorClient(fast).createEntry(signedArtifact('no location').proposed),
      'REKOR_CONFLICT',
    )
    expect(error.details.uuid).toBe(id)
    expect(error.details.location).toBeUndefined()
  })
})

describe('response validation', () => {
  it('malformed JSON is REKOR_RESPONSE_INVALID naming the body', async () => {
    server.use(
      http.get(
        `${api}/log`,
        () => new HttpResponse('{"rootHash":', { headers: { 'content-type': 'application/json' } }),
      ),
    )
    const error = await expectRekorError(new RekorClient(fast).getLogInfo(), 'REKOR_RESPONSE_INVALID')
    expect(error.details.field).toBe('(body)')
  })

  it('a wrong field type is REKOR_RESPONSE_INVALID naming the field', async () => {
    server.use(
      http.get(`${api}/log/entries`, () =>
        HttpResponse.json({
          ['ab'.repeat(32)]: { logID: 'ab'.repeat(32), logIndex: '7', body: 'e30=', integratedTime: 1 },
        }),
      ),
    )
    const error = await expectRekorError(new RekorClient(fast).getEntryByIndex(7), 'REKOR_RESPONSE_INVALID')
    expect(error.details.field).toBe(`${'ab'.repeat(32)}.logIndex`)
  })

  it('a missing field in log info is named', async () => {
    server.use(
      http.get(`${api}/log`, () =>
        HttpResponse.json({ rootHash: 'ab'.repeat(32), treeSize: 1, treeID: '1' }),
      ),
    )
    const error = await expectRekorError(new RekorClient(fast).getLogInfo(), 'REKOR_RESPONSE_INVALID')
    expect(error.details.field).toBe('signedTreeHead')
  })

  it('a proof hash that is not hex is named', async () => {
    server.use(
      http.get(`${api}/log/proof`, () => HttpResponse.json({ rootHash: 'ab'.repeat(32), hashes: ['zz'] })),
    )
    const error = await expectRekorError(
      new RekorClient(fast).getConsistencyProof({ lastSize: 2 }),
      'REKOR_RESPONSE_INVALID',
    )
    expect(error.details.field).toBe('hashes.0')
  })
})

describe('retries and transport errors', () => {
  it('retries a 500 and then succeeds', async () => {
    let calls = 0
    server.use(
      http.get(`${api}/log`, () => {
        calls++
        return calls === 1 ? HttpResponse.json({ code: 500, message: 'boom' }, { status: 500 }) : undefined
      }),
    )
    const info = await new RekorClient(fast).getLogInfo()
    expect(calls).toBe(2)
    expect(info.treeSize).toBe(fake.bodies.length)
  })

  it('gives up after the configured retries with REKOR_SERVER_ERROR', async () => {
    let calls = 0
    server.use(
      http.get(`${api}/log`, () => {
        calls++
        return HttpResponse.json({ code: 502, message: 'bad gateway' }, { status: 502 })
      }),
    )
    const error = await expectRekorError(
      new RekorClient({ ...fast, retries: 3 }).getLogInfo(),
      'REKOR_SERVER_ERROR',
    )
    expect(calls).toBe(4)
    expect(error.details).toMatchObject({ status: 502, rekorMessage: 'bad gateway' })
  })

  it('honours Retry-After on 429', async () => {
    const seen: number[] = []
    server.use(
      http.get(`${api}/log`, () => {
        seen.push(Date.now())
        return seen.length === 1
          ? HttpResponse.json(
              { code: 429, message: 'slow down' },
              { status: 429, headers: { 'Retry-After': '1' } },
            )
          : undefined
      }),
    )
    await new RekorClient(fast).getLogInfo()
    expect(seen).toHaveLength(2)
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(950)
  })

  it('fails at once with REKOR_RATE_LIMITED when Retry-After exceeds maxRetryAfter', async () => {
    let calls = 0
    server.use(
      http.get(`${api}/log`, () => {
        calls++
        return HttpResponse.json(
          { code: 429, message: 'slow down' },
          { status: 429, headers: { 'Retry-After': '120' } },
        )
      }),
    )
    const error = await expectRekorError(
      new RekorClient({ ...fast, maxRetryAfter: 5000 }).getLogInfo(),
      'REKOR_RATE_LIMITED',
    )
    expect(calls).toBe(1)
    expect(error.details.retryAfterMs).toBe(120_000)
  })

  it('does not retry 4xx other than 408/429', async () => {
    let calls = 0
    server.use(
      http.get(`${api}/log`, () => {
        calls++
        return HttpResponse.json({ code: 403, message: 'forbidden' }, { status: 403 })
      }),
    )
    await expectRekorError(new RekorClient(fast).getLogInfo(), 'REKOR_HTTP')
    expect(calls).toBe(1)
  })

  it('retries network errors, then reports REKOR_NETWORK', async () => {
    let calls = 0
    server.use(
      http.get(`${api}/log`, () => {
        calls++
        return HttpResponse.error()
      }),
    )
    await expectRekorError(new RekorClient({ ...fast, retries: 1 }).getLogInfo(), 'REKOR_NETWORK')
    expect(calls).toBe(2)
  })

  it('recovers from one network error', async () => {
    let calls = 0
    server.use(
      http.get(`${api}/log`, () => {
        calls++
        return calls === 1 ? HttpResponse.error() : undefined
      }),
    )
    await new RekorClient(fast).getLogInfo()
    expect(calls).toBe(2)
  })

  it('times out with REKOR_TIMEOUT', async () => {
    server.use(
      http.get(`${api}/log`, async () => {
        await delay(1000)
        return HttpResponse.json({})
      }),
    )
    await expectRekorError(
      new RekorClient({ ...fast, timeout: 50, retries: 0 }).getLogInfo(),
      'REKOR_TIMEOUT',
    )
  })

  it('retries a timeout and then succeeds', async () => {
    let calls = 0
    server.use(
      http.get(`${api}/log`, async () => {
        calls++
        if (calls === 1) await delay(1000)
        return undefined
      }),
    )
    await new RekorClient({ ...fast, timeout: 100 }).getLogInfo()
    expect(calls).toBe(2)
  })

  it('aborts an in-flight request with REKOR_ABORTED and does not retry', async () => {
    let calls = 0
    server.use(
      http.get(`${api}/log`, async () => {
        calls++
        await delay(1000)
        return HttpResponse.json({})
      }),
    )
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 30)
    await expectRekorError(new RekorClient(fast).getLogInfo({ signal: controller.signal }), 'REKOR_ABORTED')
    expect(calls).toBe(1)
  })

  it('aborts while waiting to retry', async () => {
    server.use(
      http.get(`${api}/log`, () =>
        HttpResponse.json({ code: 503, message: 'later' }, { status: 503, headers: { 'Retry-After': '5' } }),
      ),
    )
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const started = Date.now()
    await expectRekorError(new RekorClient(fast).getLogInfo({ signal: controller.signal }), 'REKOR_ABORTED')
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('an already-aborted signal fails without retrying', async () => {
    await expectRekorError(
      new RekorClient(fast).getEntryByIndex(0, { signal: AbortSignal.abort() }),
      'REKOR_ABORTED',
    )
    expect(fake.requests).toHaveLength(0)
  })

  it('keeps credentials in the base URL out of error details', async () => {
    server.use(http.get('https://rekor.fake.test/api/v1/log', () => HttpResponse.error()))
    const client = new RekorClient({ ...fast, baseUrl: 'https://user:s3cret@rekor.fake.test', retries: 0 })
    const error = await expectRekorError(client.getLogInfo(), 'REKOR_NETWORK')
    expect(JSON.stringify(error.toJSON())).not.toContain('s3cret')
    expect(error.details.url).toBe('https://rekor.fake.test')
  })

  it('rejects a relative baseUrl', () => {
    expect(() => new RekorClient({ baseUrl: '/relative' })).toThrowError(
      expect.objectContaining({ code: 'REKOR_INVALID_INPUT' }),
    )
  })
})

describe('retry policy (ky retry options)', () => {
  it('honours Retry-After on a 503 as well', async () => {
    const seen: number[] = []
    server.use(
      http.get(`${api}/log/publicKey`, () => {
        seen.push(Date.now())
        return seen.length === 1
          ? HttpResponse.json(
              { code: 503, message: 'later' },
              { status: 503, headers: { 'Retry-After': '1' } },
            )
          : undefined
      }),
    )
    await new RekorClient(fast).getPublicKey()
    expect(seen).toHaveLength(2)
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(950)
  })

  it('backs off on a 429 without Retry-After, ignoring RateLimit-Reset', async () => {
    const seen: number[] = []
    server.use(
      http.get(`${api}/log/publicKey`, () => {
        seen.push(Date.now())
        return seen.length === 1
          ? HttpResponse.json(
              { code: 429, message: 'slow' },
              { status: 429, headers: { 'RateLimit-Reset': '30' } },
            )
          : undefined
      }),
    )
    await new RekorClient(fast).getPublicKey()
    expect(seen).toHaveLength(2)
    expect(seen[1]! - seen[0]!).toBeLessThan(1000)
  })

  it('fails at once with the server error when a 503 asks to wait longer than maxRetryAfter', async () => {
    let calls = 0
    server.use(
      http.get(`${api}/log/publicKey`, () => {
        calls++
        return HttpResponse.json(
          { code: 503, message: 'down' },
          { status: 503, headers: { 'Retry-After': '90' } },
        )
      }),
    )
    const error = await expectRekorError(new RekorClient(fast).getPublicKey(), 'REKOR_SERVER_ERROR')
    expect(calls).toBe(1)
    expect(error.details).toMatchObject({ status: 503, rekorMessage: 'down', rekorCode: 503 })
  })

  it('retries a 408', async () => {
    let calls = 0
    server.use(
      http.get(`${api}/log/publicKey`, () => {
        calls++
        return calls === 1 ? new HttpResponse('timeout', { status: 408 }) : undefined
      }),
    )
    await new RekorClient(fast).getPublicKey()
    expect(calls).toBe(2)
  })

  it('retries a POST after a network error without creating a second entry', async () => {
    const { proposed } = signedArtifact('network error then created')
    let calls = 0
    server.use(
      http.post(`${api}/log/entries`, () => {
        calls++
        return calls === 1 ? HttpResponse.error() : undefined
      }),
    )
    const before = fake.bodies.length
    const entry = await new RekorClient(fast).createEntry(proposed)
    expect(calls).toBe(2)
    expect(fake.bodies.length).toBe(before + 1)
    expect(entry.logIndex).toBe(before)
  })

  it('retries whatever the fetch throws, then reports REKOR_NETWORK with the cause', async () => {
    let calls = 0
    const failing = new Error('socket hang up')
    const client = new RekorClient({
      ...fast,
      fetch: async () => {
        calls++
        throw failing
      },
    })
    const error = await expectRekorError(client.getPublicKey(), 'REKOR_NETWORK')
    expect(calls).toBe(3)
    expect(error.cause).toBe(failing)
  })

  it('logs each retry at debug level with the failure code', async () => {
    let calls = 0
    server.use(
      http.get(`${api}/log/publicKey`, () => {
        calls++
        return calls <= 2 ? HttpResponse.json({ code: 500, message: 'boom' }, { status: 500 }) : undefined
      }),
    )
    const lines: Array<{ fields: Record<string, unknown>; message: string }> = []
    const logger = {
      debug: (fields: Record<string, unknown>, message: string) => lines.push({ fields, message }),
      info: () => {},
      warn: () => {},
      error: () => {},
    }
    await new RekorClient({ ...fast, logger }).getPublicKey()
    expect(lines.map((line) => [line.message, line.fields.attempt, line.fields.code])).toEqual([
      ['rekor: retrying', 1, 'REKOR_SERVER_ERROR'],
      ['rekor: retrying', 2, 'REKOR_SERVER_ERROR'],
    ])
    for (const line of lines) {
      expect(line.fields.operation).toBe('getPublicKey')
      expect(line.fields.delay).toBeGreaterThanOrEqual(0)
    }
  })

  it('says when an abort cut a wait to retry short', async () => {
    server.use(
      http.get(`${api}/log/publicKey`, () =>
        HttpResponse.json({ code: 503, message: 'later' }, { status: 503, headers: { 'Retry-After': '5' } }),
      ),
    )
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const error = await expectRekorError(
      new RekorClient(fast).getPublicKey({ signal: controller.signal }),
      'REKOR_ABORTED',
    )
    expect(error.message).toBe('getPublicKey was aborted while waiting to retry')
  })
})
