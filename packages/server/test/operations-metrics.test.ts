import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fakeIdentityToken, startMockFulcio } from '@certus-trust/test-utils'
import { describe, expect, it } from 'vitest'
import {
  ADMIN_KEY,
  call,
  digestOf,
  postgresReachable,
  SIGNER_KEY,
  startTestServer,
  VERIFIER_KEY,
} from './helpers.js'

// Each metric added for operations moves when the thing it measures happens.

const postgresUp = await postgresReachable()
if (!postgresUp && process.env.CERTUS_REQUIRE_POSTGRES === '1') {
  throw new Error('PostgreSQL is unreachable and CERTUS_REQUIRE_POSTGRES=1')
}

async function scrape(base: string): Promise<string> {
  const response = await call(base, 'GET', '/metrics', ADMIN_KEY)
  expect(response.status).toBe(200)
  return response.json as string
}

/** Sum of the samples of `name` whose label set contains `labels`. */
function total(text: string, name: string, labels = ''): number {
  return text
    .split('\n')
    .filter((row) => (row.startsWith(`${name}{`) || row.startsWith(`${name} `)) && row.includes(labels))
    .reduce((sum, row) => sum + Number(row.slice(row.lastIndexOf(' ') + 1)), 0)
}

const sign = (base: string, text: string) =>
  call(base, 'POST', '/v1/sign', SIGNER_KEY, {
    artifact: digestOf(text),
    artifact_type: 'file',
    subject: text,
  })

describe('operations metrics', () => {
  it('reconciliation counts the records it writes; an entry read times its inclusion proof', async () => {
    const test = await startTestServer('sqlite')
    try {
      const base = test.server.url
      const before = await scrape(base)
      expect(total(before, 'certus_trust_reconciled_records_total')).toBe(0)
      // What a kill between append and record leaves: an entry signed through the service's witness, no record.
      await test.server.deps.signer.sign(digestOf('orphan'))
      await test.server.deps.reconcile!('interval', 0)
      const after = await scrape(base)
      expect(total(after, 'certus_trust_reconciled_records_total', 'trigger="interval"')).toBe(1)

      const signed = await sign(base, 'proof')
      const proofs = total(await scrape(base), 'certus_trust_proof_generation_seconds_count')
      await call(base, 'GET', `/v1/transparency/${signed.json.entry_id}`, VERIFIER_KEY)
      await call(base, 'GET', `/v1/transparency/${signed.json.entry_id}`, VERIFIER_KEY)
      expect(total(await scrape(base), 'certus_trust_proof_generation_seconds_count')).toBe(proofs + 2)
    } finally {
      await test.cleanup()
    }
  }, 60_000)

  it.skipIf(!postgresUp)(
    'PostgreSQL: pool wait time and database size',
    async () => {
      const test = await startTestServer('postgres')
      try {
        const base = test.server.url
        const before = total(await scrape(base), 'certus_trust_storage_pool_wait_seconds_count')
        expect((await sign(base, 'pg')).status).toBe(201)
        const after = await scrape(base)
        expect(total(after, 'certus_trust_storage_pool_wait_seconds_count')).toBeGreaterThan(before)
        // pg_database_size of the throwaway database: its catalog alone is megabytes.
        expect(total(after, 'certus_trust_storage_size_bytes')).toBeGreaterThan(1_000_000)
      } finally {
        await test.cleanup()
      }
    },
    60_000,
  )

  it('Fulcio calls: latency per call, errors when Fulcio is down', async () => {
    const fulcio = await startMockFulcio()
    const rootDir = await mkdtemp(join(tmpdir(), 'certus-metrics-root-'))
    await writeFile(join(rootDir, 'trusted_root.json'), JSON.stringify(fulcio.trustedRoot))
    const test = await startTestServer('memory', {
      CERTUS_TRUST_ENABLE_KEYLESS: 'true',
      CERTUS_TRUST_FULCIO_ADDR: fulcio.url,
      CERTUS_TRUST_OIDC_TOKEN: fakeIdentityToken({
        sub: 'ci@example.com',
        iss: 'https://issuer.example.com',
      }),
      CERTUS_TRUST_TRUSTED_ROOT: join(rootDir, 'trusted_root.json'),
      CERTUS_TRUST_UPSTREAM_RETRIES: '0',
    })
    try {
      const base = test.server.url
      expect((await sign(base, 'keyless')).status).toBe(201)
      const up = await scrape(base)
      expect(total(up, 'certus_trust_fulcio_request_duration_seconds_count')).toBe(1)
      expect(total(up, 'certus_trust_fulcio_request_errors_total')).toBe(0)
      await fulcio.close()
      expect((await sign(base, 'keyless, Fulcio down')).status).toBeGreaterThanOrEqual(500)
      const down = await scrape(base)
      expect(total(down, 'certus_trust_fulcio_request_errors_total')).toBeGreaterThanOrEqual(1)
    } finally {
      await test.cleanup()
      await fulcio.close().catch(() => {})
      await rm(rootDir, { recursive: true, force: true })
    }
  }, 60_000)

  it('TSA calls: latency per call, errors when the TSA is down', async () => {
    // A second server's embedded TSA is the upstream TSA (loopback callers are anonymous signers there).
    const tsa = await startTestServer('memory', { CERTUS_TRUST_ANONYMOUS_ROLES: 'signer' })
    const test = await startTestServer('memory', {
      CERTUS_TRUST_TSA_URL: tsa.server.url,
      CERTUS_TRUST_UPSTREAM_RETRIES: '0',
    })
    try {
      const base = test.server.url
      expect((await sign(base, 'timestamped')).status).toBe(201)
      const up = await scrape(base)
      expect(
        total(up, 'certus_trust_tsa_request_duration_seconds_count', 'operation="/api/v1/timestamp"'),
      ).toBe(1)
      expect(total(up, 'certus_trust_tsa_request_errors_total')).toBe(0)
      await tsa.cleanup()
      expect((await sign(base, 'TSA down')).status).toBeGreaterThanOrEqual(500)
      expect(total(await scrape(base), 'certus_trust_tsa_request_errors_total')).toBeGreaterThanOrEqual(1)
    } finally {
      await test.cleanup()
      await tsa.cleanup().catch(() => {})
    }
  }, 60_000)
})
