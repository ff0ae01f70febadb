import { writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, digestOf, SIGNER_KEY, startTestServer, VERIFIER_KEY } from './helpers.js'

/** A local stand-in for a Rekor that is down: every request gets `status` (or the socket is destroyed). */
async function brokenRekor(
  behaviour: number | 'hang-up',
): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0
  const server: Server = createServer((request, response) => {
    hits += 1
    request.resume()
    if (behaviour === 'hang-up') {
      request.socket.destroy()
      return
    }
    response.writeHead(behaviour, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ code: behaviour, message: 'rekor is having a bad day' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('remote Rekor failures', () => {
  it.each([
    [503, 503, 'SIGNER_WITNESS_UNREACHABLE', 2],
    ['hang-up' as const, 503, 'SIGNER_WITNESS_UNREACHABLE', 2],
    [400, 502, 'SIGNER_WITNESS_FAILED', 1],
  ])(
    'answers %s from Rekor with %i after retries and stores nothing',
    async (behaviour, status, code, attempts) => {
      const rekor = await brokenRekor(behaviour)
      const { server, cleanup } = await startTestServer('memory', {
        CERTUS_TRUST_REKOR_ADDR: rekor.url,
        CERTUS_TRUST_UPSTREAM_RETRIES: '1',
        CERTUS_TRUST_UPSTREAM_TIMEOUT_MS: '2000',
      })
      try {
        const artifact = digestOf(`remote failure ${String(behaviour)}`)
        const response = await call(server.url, 'POST', '/v1/sign', SIGNER_KEY, {
          artifact,
          artifact_type: 'file',
          subject: 'x',
        })
        expect(response.status).toBe(status)
        expect(response.json.error.code).toBe(code)
        expect(response.json.error.message).toMatch(/transparency log/)
        if (status === 503) expect(response.headers.get('retry-after')).toBe('5')
        // One attempt plus one retry for 5xx and network errors; a 4xx is final.
        expect(rekor.hits()).toBe(attempts)
        // Never a half-stored record.
        expect((await server.deps.storage.listSignedArtifactsByHash(artifact)).items).toEqual([])
        const ready = await call(server.url, 'GET', '/v1/ready', undefined)
        expect(ready.status).toBe(503)
        expect(ready.json.checks.log.ok).toBe(false)
      } finally {
        await cleanup()
        await rekor.close()
      }
    },
    30_000,
  )
})

describe('Fulcio failures (keyless)', () => {
  it.each([
    [503, 503, 'SIGNER_FULCIO_UNREACHABLE', 2],
    [400, 502, 'SIGNER_FULCIO_FAILED', 1],
  ])(
    'answers %s from Fulcio with %i after retries and stores nothing',
    async (behaviour, status, code, attempts) => {
      const fulcio = await brokenRekor(behaviour)
      const payload = Buffer.from(
        JSON.stringify({
          iss: 'https://issuer.example',
          sub: 'me',
          email: 'me@example.com',
          email_verified: true,
          aud: 'sigstore',
          exp: 4102444800,
        }),
      ).toString('base64url')
      const { server, cleanup } = await startTestServer('memory', {
        CERTUS_TRUST_ENABLE_KEYLESS: 'true',
        CERTUS_TRUST_FULCIO_ADDR: fulcio.url,
        CERTUS_TRUST_OIDC_TOKEN: `eyJhbGciOiJub25lIn0.${payload}.c2ln`,
        CERTUS_TRUST_UPSTREAM_RETRIES: '1',
        CERTUS_TRUST_UPSTREAM_TIMEOUT_MS: '2000',
      })
      try {
        const artifact = digestOf(`fulcio failure ${behaviour}`)
        const response = await call(server.url, 'POST', '/v1/sign', SIGNER_KEY, {
          artifact,
          artifact_type: 'file',
          subject: 'k',
        })
        expect(response.status).toBe(status)
        expect(response.json.error.code).toBe(code)
        expect(JSON.stringify(response.json)).not.toContain(payload)
        expect(fulcio.hits()).toBe(attempts)
        expect((await server.deps.storage.listSignedArtifactsByHash(artifact)).items).toEqual([])
      } finally {
        await cleanup()
        await fulcio.close()
      }
    },
    30_000,
  )
})

describe('a remote Rekor that works', () => {
  // Server A runs the embedded log; server B uses A's Rekor v1 API as its remote Rekor, as an operator would
  // point it at a self-hosted Rekor.
  let a: Awaited<ReturnType<typeof startTestServer>>
  let b: Awaited<ReturnType<typeof startTestServer>>
  beforeAll(async () => {
    a = await startTestServer('memory', {
      CERTUS_TRUST_API_KEYS: '',
      CERTUS_TRUST_ANONYMOUS_ROLES: 'signer,verifier',
    })
    const root = await a.server.deps.log!.exportTrustedRoot()
    const rootPath = join(a.dataDir, 'trusted_root.json')
    await writeFile(rootPath, JSON.stringify(root))
    b = await startTestServer('memory', {
      CERTUS_TRUST_REKOR_ADDR: a.server.url,
      CERTUS_TRUST_TRUSTED_ROOT: rootPath,
    })
  }, 60_000)
  afterAll(async () => {
    await b?.cleanup()
    await a?.cleanup()
  })

  it('signs through it, looks entries up in it and verifies online', async () => {
    const artifact = digestOf('remote ok')
    const signed = await call(b.server.url, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact,
      artifact_type: 'file',
      subject: 'r',
    })
    expect(signed.status).toBe(201)
    // The entry lives in A's log, not in B.
    expect(b.server.deps.log).toBeUndefined()
    const inA = await a.server.deps.log!.getEntryByUuid(signed.json.entry_id)
    expect(inA?.logIndex).toBe(signed.json.transparency_entry.index)
    const entry = await call(
      b.server.url,
      'GET',
      `/v1/transparency/${signed.json.entry_id}?include_proof=true`,
      VERIFIER_KEY,
    )
    expect(entry.status).toBe(200)
    expect(entry.json.proof.hashes).toBeInstanceOf(Array)
    const verified = await call(b.server.url, 'POST', '/v1/verify', VERIFIER_KEY, {
      artifact,
      bundle: signed.json.bundle,
    })
    expect(verified.json).toMatchObject({
      valid: true,
      transparency_index: signed.json.transparency_entry.index,
    })
    const bare = await call(b.server.url, 'POST', '/v1/verify', VERIFIER_KEY, {
      artifact,
      signature: signed.json.signature,
      public_key: signed.json.public_key,
    })
    expect(bare.json.valid).toBe(true)
  })

  it('caches immutable entries: a second lookup of one entry does not reach Rekor', async () => {
    const signed = await call(b.server.url, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact: digestOf('cached'),
      artifact_type: 'file',
      subject: 'c',
    })
    expect(signed.status).toBe(201)
    const entryReads = async () => {
      const scrape = await a.server.deps.metrics.registry.metrics()
      return scrape
        .split('\n')
        .filter(
          (line) => line.startsWith('certus_trust_http_requests_total') && line.includes('method="GET"'),
        )
        .filter((line) => /route="[^"]*entries[^"]*"/.test(line))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
    }
    const lookup = () => call(b.server.url, 'GET', `/v1/transparency/${signed.json.entry_id}`, VERIFIER_KEY)
    expect((await lookup()).status).toBe(200)
    const afterFirst = await entryReads()
    expect((await lookup()).status).toBe(200)
    expect((await lookup()).json.uuid).toBe(signed.json.entry_id.slice(-64))
    expect(await entryReads()).toBe(afterFirst)
  })
})
