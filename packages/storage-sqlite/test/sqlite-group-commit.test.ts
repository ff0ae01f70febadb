import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteStorage } from '../src/index.js'
import { scratchDirectory } from './helpers.js'

const scratch = scratchDirectory('group-commit')
afterAll(() => scratch.remove())

const uuid = (index: number) => index.toString(16).padStart(64, '0')
const record = (index: number, entry = index) => ({
  artifactHash: `sha256:${index.toString(16).padStart(64, 'a')}`,
  artifactType: 'file' as const,
  subject: `item ${index}`,
  signature: 'MEUCIQ==',
  bundle: { index },
  transparencyEntryUuid: uuid(entry),
})

describe('records: group commit of concurrent saves', () => {
  it('commits concurrent saves together, and a conflicting one fails alone', async () => {
    const path = join(scratch.path, 'group.db')
    const storage = await createSqliteStorage({ path, migrate: true })
    // 50 saves in one tick (one group); #25 reuses #3's entry UUID and must be refused on its own.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) =>
        storage.saveSignedArtifact(index === 25 ? record(index, 3) : record(index)),
      ),
    )
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(49)
    const refused = outcomes[25] as PromiseRejectedResult
    expect(refused.status).toBe('rejected')
    expect((refused.reason as { code?: string }).code).toBe('STORAGE_CONFLICT')
    await storage.close()
    // Everything acknowledged is on disk after reopening; the refused one left nothing behind.
    const reopened = await createSqliteStorage({ path })
    const page = await reopened.listSignedArtifacts({ limit: 100 })
    expect(page.items).toHaveLength(49)
    expect(page.items.some((item) => item.subject === 'item 25')).toBe(false)
    expect((await reopened.getSignedArtifactByEntryUuid(uuid(3))).subject).toBe('item 3')
    await reopened.close()
  })
})
