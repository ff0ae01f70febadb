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

  it('a group with no clash is written in one go: twins share a record, a differing twin is refused alone', async () => {
    const storage = await createPostgresStorage({ connectionString: database.url })
    // 40 saves at once, entries 100–139: #110 and #111 are same-content twins (key "same"); #120 reuses key "same"
    // with other content (a conflict, after which the group is written again record by record).
    const twins = Array.from({ length: 40 }, (_, offset) => {
      const index = 100 + offset
      if (index === 111) return storage.saveSignedArtifact(record(110, 110, 'same'))
      if (index === 120) return storage.saveSignedArtifact(record(120, 120, 'same'))
      return storage.saveSignedArtifact(record(index, index, index === 110 ? 'same' : undefined))
    })
    const outcomes = await Promise.allSettled(twins)
    const differing = outcomes[20] as PromiseRejectedResult
    expect(differing.status).toBe('rejected')
    expect((differing.reason as { code?: string }).code).toBe('STORAGE_CONFLICT')
    const [first, second] = [outcomes[10], outcomes[11]] as Array<PromiseFulfilledResult<{ id: string }>>
    expect(first?.status).toBe('fulfilled')
    expect(second?.value.id).toBe(first?.value.id)
    // Without a differing twin the fast path keeps every record, each answered with its own row.
    const clean = await Promise.all(
      Array.from({ length: 30 }, (_, offset) => storage.saveSignedArtifact(record(200 + offset))),
    )
    expect(new Set(clean.map((saved) => saved.id)).size).toBe(30)
    expect(clean.map((saved) => saved.subject)).toEqual(clean.map((_, offset) => `item ${200 + offset}`))
    // What a save answers (the record it sent, not the row read back) is what a read of it returns.
    for (const saved of clean) expect(await storage.getSignedArtifact(saved.id)).toEqual(saved)
    const again = await Promise.all([
      storage.saveSignedArtifact(record(300, 300, 'k300')),
      storage.saveSignedArtifact(record(300, 300, 'k300')),
      storage.saveSignedArtifact(record(301)),
    ])
    expect(again[0].id).toBe(again[1].id)
    expect(
      (await storage.listSignedArtifactsByHash(record(300).artifactHash, { limit: 10 })).items,
    ).toHaveLength(1)
    await storage.close()
  })
})
