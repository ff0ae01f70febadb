import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadOrCreateSigningKey, openDataDir } from '../src/entries/data-dir.js'
import { ServiceError } from '../src/index.js'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'certus-data-dir-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('openDataDir', () => {
  it('refuses a missing directory unless asked to create it', async () => {
    const path = join(root, 'missing')
    const error = await openDataDir({ path }).catch((caught: unknown) => caught)
    expect(ServiceError.is(error, 'SERVICE_DATA_DIR')).toBe(true)
    expect((error as ServiceError).details).toMatchObject({ path, reason: 'missing' })
  })

  it('creates the directory with mode 0700; a SQLite directory is shared, no lock is held', async () => {
    const path = join(root, 'created')
    const dataDir = await openDataDir({ path, create: true })
    expect((await stat(path)).mode & 0o777).toBe(0o700)
    expect(dataDir.databasePath).toBe(join(path, 'certus.db'))
    // SQLite serialises writers itself: a second process (here: a second open) is not refused.
    const second = await openDataDir({ path, waitMs: 0 })
    await second.release()
    await dataDir.release()
  })

  it('locks a directory that holds only a legacy PGlite database, naming the holder', async () => {
    const path = join(root, 'legacy')
    await mkdir(join(path, 'log-db'), { recursive: true })
    const dataDir = await openDataDir({ path })
    const second = await openDataDir({ path, waitMs: 0 }).catch((caught: unknown) => caught)
    expect((second as ServiceError).details).toMatchObject({ reason: 'locked', pid: process.pid })
    expect((second as ServiceError).message).toContain('PGlite')
    await dataDir.release()
    const again = await openDataDir({ path, waitMs: 0 })
    await again.release()
  })
})

describe('loadOrCreateSigningKey', () => {
  it('generates a key once (mode 0600) and reads the same key afterwards', async () => {
    const path = join(root, 'keys', 'signing-key.pem')
    const created = await loadOrCreateSigningKey(path)
    expect(created.created).toBe(true)
    expect(created.pem).toContain('PRIVATE KEY')
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await loadOrCreateSigningKey(path)).toEqual({ pem: created.pem, created: false })
  })
})
