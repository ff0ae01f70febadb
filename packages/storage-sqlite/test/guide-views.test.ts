import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteStorage } from '../src/index.js'
import { scratchDirectory } from './helpers.js'

const scratch = scratchDirectory('guide-views')
afterAll(() => scratch.remove())

const UUID = 'ab'.repeat(32)
const INTEGRATED = 1_767_225_600 // 2026-01-01T00:00:00Z

describe('the production guide’s views on SQLite', () => {
  it('answer the guide’s plain SQL with its column names, timestamps as ISO-8601 UTC, and refuse writes', async () => {
    const path = join(scratch.path, 'guide.db')
    const storage = await createSqliteStorage({ path, migrate: true })
    const saved = await storage.saveSignedArtifact({
      artifactHash: `sha256:${'12'.repeat(32)}`,
      artifactType: 'sbom',
      subject: 'app.cdx.json',
      signature: 'c2ln',
      publicKey: 'pem',
      bundle: { mediaType: 'x' },
      transparencyEntryUuid: UUID,
      logIndex: 41,
      integratedTime: INTEGRATED,
      logId: 'cd'.repeat(32),
    })
    const verified = await storage.saveVerificationRecord({
      artifactHash: saved.artifactHash,
      valid: true,
      signer: 'ops@example.com',
      transparencyIndex: 41,
    })
    await storage.close()

    const db = new DatabaseSync(path, { readOnly: false })
    try {
      const columns = (view: string) =>
        db
          .prepare(`SELECT name FROM pragma_table_info('${view}') ORDER BY cid`)
          .all()
          .map((row) => row.name)
      expect(columns('signed_artifacts')).toEqual([
        'id',
        'artifact_hash',
        'artifact_type',
        'subject',
        'signature',
        'certificate',
        'public_key',
        'bundle',
        'rekor_uuid',
        'rekor_index',
        'rekor_log_id',
        'integrated_time',
        'predicates',
        'created_at',
        'idempotency_key',
      ])
      expect(columns('verification_records')).toEqual([
        'id',
        'artifact_hash',
        'signature',
        'valid',
        'signer',
        'issuer',
        'rekor_index',
        'verified_at',
        'failure_code',
        'failure_message',
      ])
      const row = db
        .prepare(
          `SELECT rekor_uuid, rekor_index, integrated_time, created_at, unixepoch(integrated_time) AS epoch
             FROM signed_artifacts WHERE integrated_time >= '2026-01-01T00:00:00Z'`,
        )
        .get() as Record<string, unknown>
      expect(row).toEqual({
        rekor_uuid: UUID,
        rekor_index: 41,
        integrated_time: '2026-01-01T00:00:00Z',
        created_at: saved.createdAt.toISOString(),
        epoch: INTEGRATED,
      })
      const joined = db
        .prepare(
          `SELECT v.verified_at, s.subject FROM verification_records v
             JOIN signed_artifacts s ON s.rekor_index = v.rekor_index`,
        )
        .all()
      expect(joined).toEqual([{ verified_at: verified.verifiedAt.toISOString(), subject: 'app.cdx.json' }])
      expect(() => db.exec(`DELETE FROM signed_artifacts`)).toThrow(/view/)
      expect(() => db.exec(`INSERT INTO verification_records (id, valid) VALUES ('x', 1)`)).toThrow(/view/)
    } finally {
      db.close()
    }
  })
})
