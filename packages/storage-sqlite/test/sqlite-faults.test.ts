import { createHash, randomBytes } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { CERTUS_APPLICATION_ID, createSqliteStorage, LATEST_SCHEMA_VERSION } from '../src/index.js'
import { rejection, runScript, scratchDirectory } from './helpers.js'

const scratch = scratchDirectory('faults')
const PROBE = fileURLToPath(new URL('./open-probe.ts', import.meta.url))
let counter = 0
const freshPath = () => join(scratch.path, `db-${++counter}.sqlite`)
const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

afterAll(() => {
  chmodSync(scratch.path, 0o700)
  scratch.remove()
})

const artifact = (subject: string, size = 10) => ({
  artifactHash: `sha256:${'ef'.repeat(32)}`,
  artifactType: 'file',
  subject,
  signature: 'c2ln',
  bundle: { mediaType: 'x', padding: 'p'.repeat(size) },
})

describe('SQLite storage: files that are not ours', () => {
  it('a file that is not a database → STORAGE_CORRUPT, and the file is left untouched', async () => {
    const path = freshPath()
    writeFileSync(path, randomBytes(8192))
    const before = digest(path)
    const error = await rejection(createSqliteStorage({ path, migrate: true }))
    expect(error.code).toBe('STORAGE_CORRUPT')
    expect(error.message).toContain(path)
    expect(digest(path)).toBe(before)
    expect(existsSync(`${path}-wal`)).toBe(false)
  })

  it('a damaged database → STORAGE_CORRUPT on open or on the first read, never a crash or a wrong answer', async () => {
    const path = freshPath()
    const storage = await createSqliteStorage({ path, migrate: true })
    for (let i = 0; i < 50; i++) await storage.saveSignedArtifact(artifact(`file-${i}`, 2000))
    await storage.close()
    // Overwrite every page after the first (schema and header stay readable) with garbage.
    const size = readFileSync(path).length
    const fd = openSync(path, 'r+')
    writeSync(fd, randomBytes(size - 4096), 0, size - 4096, 4096)
    closeSync(fd)
    const opened = await createSqliteStorage({ path }).catch((error: unknown) => error)
    if ('code' in (opened as object) && typeof (opened as { code: unknown }).code === 'string') {
      expect((opened as { code: string }).code).toBe('STORAGE_CORRUPT')
      return
    }
    const damaged = opened as Awaited<ReturnType<typeof createSqliteStorage>>
    try {
      expect((await rejection(damaged.listSignedArtifacts({ limit: 100 }))).code).toBe('STORAGE_CORRUPT')
    } finally {
      await damaged.close()
    }
  })

  it("another application's SQLite database → STORAGE_FOREIGN_DATABASE, untouched", async () => {
    const plain = freshPath()
    const other = new DatabaseSync(plain)
    other.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')")
    other.close()
    const tagged = freshPath()
    const tagging = new DatabaseSync(tagged)
    tagging.exec('PRAGMA application_id = 1234; CREATE TABLE certus_schema_migrations (version INTEGER)')
    tagging.close()
    for (const path of [plain, tagged]) {
      const before = digest(path)
      const error = await rejection(createSqliteStorage({ path, migrate: true }))
      expect(error.code).toBe('STORAGE_FOREIGN_DATABASE')
      expect(digest(path)).toBe(before)
    }
  })

  it('a database from a newer schema version → STORAGE_SCHEMA_TOO_NEW, with or without migrate', async () => {
    const path = freshPath()
    await (await createSqliteStorage({ path, migrate: true })).close()
    const newer = new DatabaseSync(path)
    newer.exec(`PRAGMA user_version = ${LATEST_SCHEMA_VERSION + 1}`)
    newer.close()
    for (const migrate of [true, false]) {
      const error = await rejection(createSqliteStorage({ path, migrate }))
      expect(error.code).toBe('STORAGE_SCHEMA_TOO_NEW')
      expect(error.details).toMatchObject({
        version: LATEST_SCHEMA_VERSION + 1,
        latest: LATEST_SCHEMA_VERSION,
      })
    }
  })

  it('a directory at the path → STORAGE_INVALID_OPTIONS; bad options → STORAGE_INVALID_OPTIONS', async () => {
    const path = freshPath()
    mkdirSync(path)
    expect((await rejection(createSqliteStorage({ path }))).code).toBe('STORAGE_INVALID_OPTIONS')
    const bad = { path: freshPath(), busyTimeoutMs: -1 }
    expect((await rejection(createSqliteStorage(bad))).code).toBe('STORAGE_INVALID_OPTIONS')
  })
})

describe('SQLite storage: schema versions', () => {
  it('records the version in the file, migrates once, and reports an unmigrated file clearly', async () => {
    const path = freshPath()
    const storage = await createSqliteStorage({ path })
    expect(await storage.schemaVersion()).toEqual({ current: 0, latest: LATEST_SCHEMA_VERSION })
    const error = await rejection(storage.listTrees())
    expect(error.code).toBe('STORAGE_UNAVAILABLE')
    expect(error.message).toContain('run migrate()')
    expect(await storage.migrate()).toEqual({ applied: [1, 2], version: 2 })
    expect(await storage.migrate()).toEqual({ applied: [], version: 2 })
    expect(await storage.schemaVersion()).toEqual({ current: 2, latest: LATEST_SCHEMA_VERSION })
    await storage.close()
    const raw = new DatabaseSync(path)
    expect(raw.prepare('PRAGMA application_id').get()).toEqual({ application_id: CERTUS_APPLICATION_ID })
    expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' })
    raw.close()
  })

  it('opening a current database with migrate: true writes nothing (no WAL frame)', async () => {
    const path = freshPath()
    await (await createSqliteStorage({ path, migrate: true })).close()
    const storage = await createSqliteStorage({ path, migrate: true })
    expect(await storage.schemaVersion()).toEqual({ current: 2, latest: LATEST_SCHEMA_VERSION })
    const raw = new DatabaseSync(path)
    // `log`: frames in the WAL, i.e. pages written since the last checkpoint (the close above checkpointed).
    expect(raw.prepare('PRAGMA wal_checkpoint(PASSIVE)').get()).toMatchObject({ log: 0 })
    raw.close()
    await storage.close()
  })

  it('processes starting at once apply each migration exactly once', async () => {
    const path = freshPath()
    const storages = await Promise.all([1, 2, 3].map(() => createSqliteStorage({ path })))
    const results = await Promise.all(storages.map((storage) => storage.migrate()))
    expect(results.map((result) => result.applied).sort()).toEqual([[], [], [1, 2]])
    await Promise.all(storages.map((storage) => storage.close()))
  })
})

describe('SQLite storage: read-only and full', () => {
  it('a read-only directory → STORAGE_READ_ONLY, for a new and for an existing database', {
    timeout: 120_000,
  }, async () => {
    const directory = join(scratch.path, 'read-only')
    mkdirSync(directory)
    const existing = join(directory, 'existing.sqlite')
    await (await createSqliteStorage({ path: existing, migrate: true })).close()
    chmodSync(existing, 0o444)
    chmodSync(directory, 0o555)
    try {
      for (const path of [join(directory, 'new.sqlite'), existing]) {
        const result = await runScript(PROBE, [path], { withoutDacOverride: true })
        expect(result.stderr).toBe('')
        expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, code: 'STORAGE_READ_ONLY' })
      }
      expect(existsSync(join(directory, 'new.sqlite'))).toBe(false)
    } finally {
      chmodSync(directory, 0o700)
    }
  })

  it('a full disk (size cap) → STORAGE_FULL, the write rolled back, everything before it intact', async () => {
    const path = freshPath()
    const storage = await createSqliteStorage({ path, migrate: true, maxSizeBytes: 256 * 1024 })
    await storage.createTree({
      treeId: '5',
      origin: 'o',
      publicKeyPem: 'pem',
      keyAlgorithm: 'ed25519',
      logId: 'd4'.repeat(32),
      startIndex: 0,
      active: true,
      createdAt: new Date(),
    })
    let saved = 0
    let full: unknown
    for (; saved < 200; saved++) {
      full = await storage
        .saveSignedArtifact(artifact(`file-${saved}`, 8000))
        .catch((error: unknown) => error)
      if (full instanceof Error) break
    }
    expect((full as { code?: string }).code).toBe('STORAGE_FULL')
    expect(saved).toBeGreaterThan(5)
    expect((await storage.listSignedArtifacts({ limit: 1000 })).items).toHaveLength(saved)
    // A log batch that does not fit is all-or-nothing too.
    const batch = Array.from({ length: 40 }, (_, i) => ({
      treeId: '5',
      leafIndex: i,
      leafHash: new Uint8Array(32).fill(i + 1),
      body: randomBytes(8000),
      integratedTime: 1,
      signedEntryTimestamp: new Uint8Array([1]),
      searchKeys: ['k'],
    }))
    const error = await rejection(storage.withTreeLock('5', (tx) => tx.appendLeaves(batch)))
    expect(error.code).toBe('STORAGE_FULL')
    expect(await storage.getLeafCount('5')).toBe(0)
    await storage.close()
    const reopened = await createSqliteStorage({ path })
    expect((await reopened.listSignedArtifacts({ limit: 1000 })).items).toHaveLength(saved)
    await reopened.close()
    const raw = new DatabaseSync(path)
    expect(raw.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' })
    raw.close()
  })
})
