import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, digestOf, SIGNER_KEY, startTestServer, VERIFIER_KEY } from './helpers.js'
import { runLoad } from './load-runner.js'

/*
 * A bounded load test on loopback: concurrent sign and verify traffic for a few seconds against the default
 * durable storage (SQLite). Afterwards: no errors, no non-2xx, and every acknowledged signature has exactly one
 * record and one log entry (nothing lost, nothing doubled).
 */
describe('load (autocannon, loopback, bounded)', () => {
  let started: Awaited<ReturnType<typeof startTestServer>>
  beforeAll(async () => {
    started = await startTestServer('sqlite')
  }, 60_000)
  afterAll(async () => {
    await started?.cleanup()
  }, 60_000)

  it('serves concurrent sign and verify without errors or lost records', async () => {
    const { server } = started
    const artifact = digestOf('load verify target')
    const signed = await call(server.url, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact,
      artifact_type: 'file',
      subject: 'v',
    })
    expect(signed.status).toBe(201)
    const verifyBody = JSON.stringify({ artifact, bundle: signed.json.bundle })

    let counter = 0
    const acknowledged = new Set<string>()
    let invalidVerifications = 0
    const [signing, verifying] = await Promise.all([
      runLoad(
        server.url,
        {
          method: 'POST',
          path: '/v1/sign',
          headers: { authorization: `Bearer ${SIGNER_KEY}` },
          body: () =>
            JSON.stringify({
              artifact: digestOf(`load ${counter++}`),
              artifact_type: 'file',
              subject: 'load',
            }),
          onResponse: (status, body) => {
            if (status === 201) acknowledged.add((JSON.parse(body) as { entry_id: string }).entry_id)
          },
        },
        { seconds: 3, connections: 6 },
      ),
      runLoad(
        server.url,
        {
          method: 'POST',
          path: '/v1/verify',
          headers: { authorization: `Bearer ${VERIFIER_KEY}` },
          body: () => verifyBody,
          onResponse: (status, body) => {
            if (status !== 200 || !(JSON.parse(body) as { valid: boolean }).valid) invalidVerifications += 1
          },
        },
        { seconds: 3, connections: 4 },
      ),
    ])

    for (const result of [signing, verifying]) {
      expect(result.errors).toBe(0)
      expect(result.timeouts).toBe(0)
      expect(result.non2xx).toBe(0)
      expect(result['2xx']).toBeGreaterThan(0)
    }
    expect(invalidVerifications).toBe(0)
    expect(acknowledged.size).toBe(signing['2xx'])

    // Requests still in flight when autocannon stopped finish on the server; let them land.
    const storedIds = async () => {
      const ids: string[] = []
      let cursor: string | undefined
      do {
        const page = await server.deps.storage.listSignedArtifacts({
          subject: 'load',
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        })
        ids.push(...page.items.map((record) => record.transparencyEntryUuid!))
        cursor = page.nextCursor
      } while (cursor)
      return ids
    }
    let ids = await storedIds()
    for (let settled = 0; settled < 3; ) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      const next = await storedIds()
      settled = next.length === ids.length ? settled + 1 : 0
      ids = next
    }
    const stored = new Set(ids)
    expect(stored.size).toBe(ids.length)
    // Every acknowledged signature is stored: nothing lost.
    expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([])
    // At most the requests cut off at the end (one per connection) were stored without an acknowledgement.
    expect(stored.size - acknowledged.size).toBeLessThanOrEqual(6)
    // Records and log agree: the pre-signed verify target plus one entry per stored record.
    const info = await server.deps.log!.getLogInfo()
    expect(info.treeSize).toBe(stored.size + 1)
  }, 60_000)
})
