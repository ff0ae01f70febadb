import { createPublicKey } from 'node:crypto'
import { hashLeaf, verifyCheckpoint, verifyInclusionProof } from '@certus-trust/log-protocol'
import { createRekorClient } from '@certus-trust/rekor'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../src/index.js'
import {
  ADMIN_KEY,
  call,
  digestOf,
  POSTGRES_ADMIN_URL,
  postgresReachable,
  SIGNER_KEY,
  type StorageKind,
  startTestServer,
  VERIFIER_KEY,
} from './helpers.js'

const requirePostgres = process.env.CERTUS_REQUIRE_POSTGRES === '1'
const postgresUp = await postgresReachable()
if (!postgresUp) {
  const message = `PostgreSQL at ${new URL(POSTGRES_ADMIN_URL).host} (CERTUS_TEST_DATABASE_URL) is unreachable: the PostgreSQL end-to-end suite did NOT run`
  if (requirePostgres) throw new Error(`${message} (CERTUS_REQUIRE_POSTGRES=1)`)
  console.warn(`\n*** ${message} ***\n`)
}

const kinds: Array<{ kind: StorageKind; skip: boolean }> = [
  { kind: 'sqlite', skip: false },
  { kind: 'postgres', skip: !postgresUp },
]

describe.each(kinds)('end to end over HTTP with $kind storage', ({ kind, skip }) => {
  let server: RunningServer
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    if (skip) return
    // Every verification on the verification threads (minBatch 1), so the suite's verdicts are the threads'.
    const started = await startTestServer(kind, {}, { verifyThreads: 2, verifyThreadsMinBatch: 1 })
    server = started.server
    cleanup = started.cleanup
  }, 60_000)
  afterAll(async () => {
    await cleanup?.()
  }, 60_000)

  it.skipIf(skip)('signs, proves inclusion offline, verifies, and stores both records', async () => {
    const base = server.url
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const artifact = digestOf(`sbom for ${kind} ${Date.now()}`)

    // 1. sign
    const signed = await call(base, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact,
      artifact_type: 'sbom',
      subject: 'app.spdx.json',
    })
    expect(signed.status).toBe(201)
    expect(signed.json.entry_id).toMatch(/^[0-9a-f]{80}$/)
    expect(signed.json.public_key).toContain('BEGIN PUBLIC KEY')
    expect(signed.json.bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json')
    expect(signed.json.transparency_entry.uuid).toBe(signed.json.entry_id)

    // 2. fetch the entry with its proof
    const entry = await call(
      base,
      'GET',
      `/v1/transparency/${signed.json.entry_id}?include_proof=true`,
      VERIFIER_KEY,
    )
    expect(entry.status).toBe(200)
    expect(entry.json.artifact).toBe(artifact)
    expect(entry.json.log_index).toBe(signed.json.transparency_entry.index)
    expect(entry.json.signature).toBe(signed.json.signature)
    const proof = entry.json.proof
    expect(proof.tree_size).toBeGreaterThan(proof.log_index)

    // 3. verify the proof offline with rekor's pure functions and the log's public key (via the Rekor API)
    const keyResponse = await fetch(`${base}/api/v1/log/publicKey`, {
      headers: { authorization: `Bearer ${VERIFIER_KEY}` },
    })
    expect(keyResponse.status).toBe(200)
    const logKey = createPublicKey(await keyResponse.text())
    const checkpoint = verifyCheckpoint(proof.checkpoint, { publicKey: logKey })
    expect(Number(checkpoint.treeSize)).toBe(proof.tree_size)
    const leafHash = hashLeaf(Buffer.from(entry.json.body, 'base64'))
    expect(Buffer.from(leafHash).toString('hex')).toBe(entry.json.uuid)
    verifyInclusionProof({
      leafIndex: proof.log_index,
      treeSize: proof.tree_size,
      leafHash,
      proof: proof.hashes.map((h: string) => Buffer.from(h, 'hex')),
      rootHash: checkpoint.rootHash,
    })
    // A tampered proof fails the same check (the check can fail).
    expect(() =>
      verifyInclusionProof({
        leafIndex: proof.log_index,
        treeSize: proof.tree_size,
        leafHash: hashLeaf(Buffer.from('something else')),
        proof: proof.hashes.map((h: string) => Buffer.from(h, 'hex')),
        rootHash: checkpoint.rootHash,
      }),
    ).toThrow()

    // 4. verify through the API: bundle form and bare-signature form
    const verified = await call(base, 'POST', '/v1/verify', VERIFIER_KEY, {
      artifact,
      bundle: signed.json.bundle,
    })
    expect(verified.status).toBe(200)
    expect(verified.json).toMatchObject({
      valid: true,
      transparency_index: signed.json.transparency_entry.index,
    })
    expect(verified.json.signer).toMatch(/^sha256:[0-9a-f]{64}$/)
    const bare = await call(base, 'POST', '/v1/verify', VERIFIER_KEY, {
      artifact,
      signature: signed.json.signature,
      public_key: signed.json.public_key,
    })
    expect(bare.json).toMatchObject({ valid: true, transparency_index: signed.json.transparency_entry.index })

    // An invalid signature is 200 with valid: false and a reason.
    const wrongArtifact = await call(base, 'POST', '/v1/verify', VERIFIER_KEY, {
      artifact: digestOf('not the artifact'),
      bundle: signed.json.bundle,
    })
    expect(wrongArtifact.status).toBe(200)
    expect(wrongArtifact.json.valid).toBe(false)
    expect(wrongArtifact.json.failure.code).toMatch(/^VERIFIER_/)

    // A bundle that is not a bundle is a malformed request: 4xx with a JSON error, and no record.
    const malformed = await call(base, 'POST', '/v1/verify', VERIFIER_KEY, {
      artifact: digestOf('malformed bundle'),
      bundle: { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' },
    })
    expect(malformed.status).toBe(422)
    expect(malformed.json.error.code).toBe('VERIFIER_MALFORMED_BUNDLE')
    expect(
      (await server.deps.storage.listVerificationRecords({ artifactHash: digestOf('malformed bundle') }))
        .items,
    ).toEqual([])

    // 5. the records exist in storage
    const record = await server.deps.storage.getSignedArtifactByEntryUuid(signed.json.entry_id)
    expect(record).toMatchObject({ artifactHash: artifact, artifactType: 'sbom', subject: 'app.spdx.json' })
    const verifications = await server.deps.storage.listVerificationRecords({ artifactHash: artifact })
    expect(verifications.items.map((item) => item.valid).sort()).toEqual([true, true])
    const failures = await server.deps.storage.listVerificationRecords({
      artifactHash: digestOf('not the artifact'),
    })
    expect(failures.items).toHaveLength(1)
    expect(failures.items[0]!.valid).toBe(false)
    expect(failures.items[0]!.failureCode).toBe(wrongArtifact.json.failure.code)

    // The artifact's entries are listed.
    const listed = await call(base, 'GET', `/v1/transparency?artifact=${artifact}`, VERIFIER_KEY)
    expect(listed.status).toBe(200)
    expect(listed.json.entries.map((item: { entry_id: string }) => item.entry_id)).toEqual([
      signed.json.entry_id,
    ])
  })

  it.skipIf(skip)('attests a predicate (DSSE) and verifies it', async () => {
    const artifact = digestOf(`provenance subject ${kind}`)
    const signed = await call(server.url, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact,
      artifact_type: 'binary',
      subject: 'app.tgz',
      predicates: [
        { type: 'https://slsa.dev/provenance/v1', predicate: { buildDefinition: { buildType: 'x' } } },
      ],
    })
    expect(signed.status).toBe(201)
    expect(signed.json.bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json')
    const entry = await call(server.url, 'GET', `/v1/transparency/${signed.json.entry_id}`, VERIFIER_KEY)
    expect(entry.json.kind).toBe('dsse')
    expect(entry.json.artifact).toBe(artifact)
    // The proof comes by default (the production guide's include_proof=true).
    expect(entry.json.proof).toMatchObject({ tree_size: expect.any(Number) })
    const verified = await call(server.url, 'POST', '/v1/verify', VERIFIER_KEY, {
      artifact,
      bundle: signed.json.bundle,
    })
    expect(verified.json.valid).toBe(true)
  })

  it.skipIf(skip)(
    'answers a burst of verifications (the verification threads) with the right verdicts',
    async () => {
      // The server runs with the default CERTUS_TRUST_VERIFY_THREADS (one per core): 24 requests at once fill turns
      // past the threads' minBatch, so they verify there, the embedded log answering their online lookups.
      const artifact = digestOf(`verify burst ${kind}`)
      const signed = await call(server.url, 'POST', '/v1/sign', SIGNER_KEY, {
        artifact,
        artifact_type: 'file',
        subject: 'burst.txt',
      })
      expect(signed.status).toBe(201)
      const verdicts = await Promise.all(
        Array.from({ length: 24 }, (_, index) =>
          call(server.url, 'POST', '/v1/verify', VERIFIER_KEY, {
            artifact: index % 2 === 0 ? artifact : digestOf(`not it ${index}`),
            bundle: signed.json.bundle,
          }),
        ),
      )
      expect(verdicts.map((verdict) => verdict.status)).toEqual(Array(24).fill(200))
      verdicts.forEach((verdict, index) => {
        if (index % 2 === 0) {
          expect(verdict.json).toMatchObject({
            valid: true,
            transparency_index: signed.json.transparency_entry.index,
          })
        } else {
          expect(verdict.json).toMatchObject({
            valid: false,
            failure: { code: 'VERIFIER_ARTIFACT_MISMATCH' },
          })
        }
      })
    },
  )

  it.skipIf(skip)('answers idempotent retries with the first result', async () => {
    const artifact = digestOf(`idempotent ${kind}`)
    const body = { artifact, artifact_type: 'file', subject: 'a.txt', idempotency_key: `retry-${kind}-0001` }
    const [first, second] = await Promise.all([
      call(server.url, 'POST', '/v1/sign', SIGNER_KEY, body),
      call(server.url, 'POST', '/v1/sign', SIGNER_KEY, body),
    ])
    expect(first.status).toBe(201)
    expect(second.status).toBe(201)
    expect(second.json.entry_id).toBe(first.json.entry_id)
    const records = await server.deps.storage.listSignedArtifactsByHash(artifact)
    expect(records.items).toHaveLength(1)
    const reused = await call(server.url, 'POST', '/v1/sign', SIGNER_KEY, { ...body, subject: 'other.txt' })
    expect(reused.status).toBe(409)
    expect(reused.json.error.code).toBe('SERVICE_IDEMPOTENCY_CONFLICT')
  })

  it.skipIf(skip)('serves the embedded log as a private Rekor (v1 API) to Rekor clients', async () => {
    const artifact = digestOf(`rekor api ${kind}`)
    const signed = await call(server.url, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact,
      artifact_type: 'file',
      subject: 'r',
    })
    const client = createRekorClient({
      baseUrl: server.url,
      headers: { authorization: `Bearer ${VERIFIER_KEY}` },
      retries: 0,
    })
    const info = await client.getLogInfo()
    expect(info.treeSize).toBeGreaterThan(0)
    const fetched = await client.getEntryByUuid(signed.json.entry_id)
    expect(fetched.logIndex).toBe(signed.json.transparency_entry.index)
    const ids = await client.searchIndex({ hash: artifact })
    expect(ids.map((id) => id.slice(-64))).toContain(signed.json.entry_id.slice(-64))
    // Writes through the Rekor API need the signer role.
    const write = await fetch(`${server.url}/api/v1/log/entries`, {
      method: 'POST',
      headers: { authorization: `Bearer ${VERIFIER_KEY}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(write.status).toBe(403)
  })

  it.skipIf(skip)('reports readiness and metrics', async () => {
    const ready = await call(server.url, 'GET', '/v1/ready', undefined)
    expect(ready.json).toEqual({ status: 'ready', checks: { storage: { ok: true }, log: { ok: true } } })
    const metrics = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    })
    const text = await metrics.text()
    expect(text).toMatch(/certus_trust_signing_total\{status="success",artifact_type="sbom"\} [1-9]/)
    expect(text).toMatch(/certus_trust_verification_total\{valid="false"\} [1-9]/)
    expect(text).toMatch(
      /certus_trust_log_request_duration_seconds_count\{operation="create_entry",backend="embedded"\} [1-9]/,
    )
    if (kind === 'postgres') expect(text).toMatch(/certus_trust_storage_pool_connections\{state="total"\} \d/)
  })
})

describe('entry id lookups', () => {
  it('answers 404 for an unknown entry on a real server', async () => {
    const { server, cleanup } = await startTestServer('memory')
    try {
      const missing = await call(server.url, 'GET', `/v1/transparency/${'0'.repeat(64)}`, VERIFIER_KEY)
      expect(missing.status).toBe(404)
      expect(missing.json.error.code).toBe('SERVICE_NOT_FOUND')
    } finally {
      await cleanup()
    }
  })
})

describe('data directory', () => {
  it('a legacy PGlite data directory keeps being used across restarts, under its lock', async () => {
    const first = await startTestServer('pglite')
    const artifact = digestOf('durable')
    const signed = await call(first.server.url, 'POST', '/v1/sign', SIGNER_KEY, {
      artifact,
      artifact_type: 'file',
      subject: 'd',
    })
    expect(signed.status).toBe(201)
    const { stat, readFile } = await import('node:fs/promises')
    const { join } = await import('node:path')
    expect((await stat(join(first.dataDir, 'signing-key.pem'))).mode & 0o777).toBe(0o600)
    expect((await stat(join(first.dataDir, 'log-key.pem'))).mode & 0o777).toBe(0o600)
    expect(Number(await readFile(join(first.dataDir, 'lock'), 'utf8'))).toBe(process.pid)
    const key = await readFile(join(first.dataDir, 'signing-key.pem'), 'utf8')
    await first.server.close()

    const { loadConfig, startServer } = await import('../src/index.js')
    const again = await startServer(
      loadConfig({
        CERTUS_TRUST_PORT: '0',
        CERTUS_TRUST_DATA_DIR: first.dataDir,
        CERTUS_TRUST_LOG_LEVEL: 'silent',
      }),
    )
    try {
      expect(await readFile(join(first.dataDir, 'signing-key.pem'), 'utf8')).toBe(key)
      const record = await again.deps.storage.getSignedArtifactByEntryUuid(signed.json.entry_id)
      expect(record.artifactHash).toBe(artifact)
    } finally {
      await again.close()
      await first.cleanup()
    }
    // Two PGlite cold starts: minutes on a 2-core machine at load average 40.
  }, 300_000)
})

describe('transparency off', () => {
  it('signs without a log entry, verifies the bundle, and answers 501 for transparency reads', async () => {
    const { server, cleanup } = await startTestServer('memory', { CERTUS_TRUST_ENABLE_TRANSPARENCY: 'false' })
    try {
      const artifact = digestOf('no log')
      const signed = await call(server.url, 'POST', '/v1/sign', SIGNER_KEY, {
        artifact,
        artifact_type: 'file',
        subject: 'n',
      })
      expect(signed.status).toBe(201)
      expect(signed.json.transparency_entry).toBeUndefined()
      expect(signed.json.bundle.verificationMaterial.tlogEntries).toEqual([])
      const record = await server.deps.storage.getSignedArtifact(signed.json.entry_id)
      expect(record.artifactHash).toBe(artifact)
      const verified = await call(server.url, 'POST', '/v1/verify', VERIFIER_KEY, {
        artifact,
        bundle: signed.json.bundle,
      })
      expect(verified.json).toMatchObject({ valid: true, transparency_index: null })
      const other = await call(server.url, 'POST', '/v1/verify', VERIFIER_KEY, {
        artifact: digestOf('x'),
        bundle: signed.json.bundle,
      })
      expect(other.json.valid).toBe(false)
      const entry = await call(server.url, 'GET', `/v1/transparency/${'0'.repeat(64)}`, VERIFIER_KEY)
      expect(entry.status).toBe(501)
      expect(entry.json.error.code).toBe('SERVICE_FEATURE_DISABLED')
      expect((await call(server.url, 'GET', '/api/v1/log', VERIFIER_KEY)).status).toBe(404)
    } finally {
      await cleanup()
    }
  })
})
