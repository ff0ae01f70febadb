import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPostgresStorage, migrate } from '../src/index.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from './helpers.js'

const reachable = await postgresAvailable('storage-postgres group commit')

const uuid = (index: number) => index.toString(16).padStart(64, '0')
const record = (index: number, entry = index, idempotencyKey?: string) => ({
  artifactHash: `sha256:${index.toString(16).padStart(64, 'a')}`,
  artifactType: 'file' as const,
  subject: `item ${index}`,
  signature: 'MEUCIQ==',
  bundle: { index },
  transparencyEntryUuid: uuid(entry),
  ...(idempotencyKey ? { idempotencyKey } : {}),
})

describe.skipIf(!reachable)('PostgreSQL records: group commit of concurrent saves', () => {
  let database: TestDatabase
  beforeAll(async () => {
    database = await createTestDatabase('group_commit')
    await migrate({ connectionString: database.url })
  })
  afterAll(async () => {
    await database?.drop()
  })

  it('commits concurrent saves together; a conflicting one fails alone; idempotent twins share a record', async () => {
    const storage = await createPostgresStorage({ connectionString: database.url })
    // 60 saves at once: #25 reuses #3's entry UUID (refused on its own), #40 and #41 share an idempotency key
    // with the same content (both answered with one record).
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, (_, index) => {
        if (index === 25) return storage.saveSignedArtifact(record(index, 3))
        if (index === 41) return storage.saveSignedArtifact(record(40, 40, 'twin'))
        return storage.saveSignedArtifact(record(index, index, index === 40 ? 'twin' : undefined))
      }),
    )
    const refused = outcomes[25] as PromiseRejectedResult
    expect(refused.status).toBe('rejected')
    expect((refused.reason as { code?: string }).code).toBe('STORAGE_CONFLICT')
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(59)
    const twins = [outcomes[40], outcomes[41]] as Array<PromiseFulfilledResult<{ id: string }>>
    expect(twins[0]?.value.id).toBe(twins[1]?.value.id)
    await storage.close()
    const reopened = await createPostgresStorage({ connectionString: database.url })
    const page = await reopened.listSignedArtifacts({ limit: 100 })
    expect(page.items).toHaveLength(58)
    expect(page.items.some((item) => item.subject === 'item 25')).toBe(false)
    expect((await reopened.getSignedArtifactByEntryUuid(uuid(3))).subject).toBe('item 3')
    await reopened.close()
  })
})
