import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPGliteStorage, createPostgresStorage, type SqlStorage } from '../src/index.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from './helpers.js'

// The production guide's tables, as SQL written for it reads them: names and types, not our API.
const GUIDE_COLUMNS = {
  signed_artifacts: {
    id: 'uuid',
    artifact_hash: 'text',
    artifact_type: 'text',
    subject: 'text',
    signature: 'text',
    certificate: 'text',
    public_key: 'text',
    bundle: 'json',
    rekor_uuid: 'text',
    rekor_index: 'bigint',
    rekor_log_id: 'text',
    integrated_time: 'timestamp with time zone',
    predicates: 'json',
    created_at: 'timestamp with time zone',
    idempotency_key: 'text',
  },
  verification_records: {
    id: 'uuid',
    artifact_hash: 'text',
    signature: 'text',
    valid: 'boolean',
    signer: 'text',
    issuer: 'text',
    rekor_index: 'bigint',
    verified_at: 'timestamp with time zone',
    failure_code: 'text',
    failure_message: 'text',
  },
}

const COLUMNS_SQL = `SELECT column_name, data_type FROM information_schema.columns
  WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`

const UUID = 'ab'.repeat(32)
const INTEGRATED = 1_767_225_600 // 2026-01-01T00:00:00Z

type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>

async function seed(storage: SqlStorage): Promise<void> {
  await storage.saveSignedArtifact({
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
  await storage.saveVerificationRecord({
    artifactHash: `sha256:${'12'.repeat(32)}`,
    signature: 'c2ln',
    valid: true,
    signer: 'ops@example.com',
    transparencyIndex: 41,
  })
}

function guideViewSuite(query: () => Query): void {
  it('signed_artifacts and verification_records have the guide’s column names and types', async () => {
    for (const [view, columns] of Object.entries(GUIDE_COLUMNS)) {
      const rows = await query()(COLUMNS_SQL, [view])
      expect(Object.fromEntries(rows.map((row) => [row.column_name, row.data_type]))).toEqual(columns)
    }
  })

  it('answers the guide’s plain SQL with timestamps, not epoch seconds', async () => {
    const [artifact = {}] = await query()(
      `SELECT rekor_uuid, rekor_index, integrated_time, created_at,
              extract(epoch FROM integrated_time)::bigint AS integrated_epoch
         FROM signed_artifacts WHERE integrated_time >= timestamptz '2026-01-01T00:00:00Z'`,
    )
    expect(artifact.rekor_uuid).toBe(UUID)
    expect(Number(artifact.rekor_index)).toBe(41)
    expect(artifact.integrated_time).toBeInstanceOf(Date)
    expect((artifact.integrated_time as Date).toISOString()).toBe('2026-01-01T00:00:00.000Z')
    expect(Number(artifact.integrated_epoch)).toBe(INTEGRATED)
    expect(artifact.created_at).toBeInstanceOf(Date)

    const joined = await query()(
      `SELECT v.valid, v.verified_at, s.subject FROM verification_records v
         JOIN signed_artifacts s ON s.rekor_index = v.rekor_index
        WHERE v.verified_at > now() - interval '1 hour'`,
    )
    expect(joined).toHaveLength(1)
    expect(joined[0]?.valid).toBe(true)
    expect(joined[0]?.subject).toBe('app.cdx.json')
    expect(joined[0]?.verified_at).toBeInstanceOf(Date)
  })

  it('is read-only: the guide’s INSERT fails instead of bypassing validation', async () => {
    await expect(
      query()(`INSERT INTO verification_records (id, artifact_hash, valid, verified_at)
               VALUES (gen_random_uuid(), 'x', true, now())`),
    ).rejects.toThrow(/verification_records is a read-only view/)
    await expect(query()(`DELETE FROM signed_artifacts`)).rejects.toThrow(
      /signed_artifacts is a read-only view/,
    )
    expect(await query()(`SELECT count(*)::int AS n FROM signed_artifacts`)).toEqual([{ n: 1 }])
  })
}

describe('guide views on PGlite', () => {
  let db: PGlite
  beforeAll(async () => {
    db = await PGlite.create()
    const storage = await createPGliteStorage({ db, migrate: true })
    await seed(storage)
    await storage.close()
  }, 120_000)
  afterAll(async () => {
    await db?.close()
  })
  guideViewSuite(() => async (sql, params) => (await db.query<Record<string, unknown>>(sql, params)).rows)
})

const reachable = await postgresAvailable('guide views: postgres')

describe.skipIf(!reachable)('guide views on PostgreSQL', () => {
  let database: TestDatabase
  let client: pg.Client
  beforeAll(async () => {
    database = await createTestDatabase('guide')
    const storage = await createPostgresStorage({ connectionString: database.url, migrate: true })
    await seed(storage)
    await storage.close()
    client = new pg.Client({ connectionString: database.url })
    await client.connect()
  })
  afterAll(async () => {
    await client?.end()
    await database?.drop()
  })
  guideViewSuite(() => async (sql, params) => (await client.query(sql, params)).rows)
})
