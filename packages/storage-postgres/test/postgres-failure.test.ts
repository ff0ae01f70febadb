import { StorageError } from '@certus-trust/storage'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPostgresStorage, migrate, type SqlStorage } from '../src/index.js'
import { adminQuery, createTestDatabase, postgresAvailable, type TestDatabase } from './helpers.js'

const reachable = await postgresAvailable('storage-postgres failures')
const TREE = '31'

const leaf = (leafIndex: number) => ({
  treeId: TREE,
  leafIndex,
  leafHash: new Uint8Array(32).fill(leafIndex + 1),
  body: new Uint8Array([leafIndex]),
  integratedTime: 1,
  signedEntryTimestamp: new Uint8Array([1]),
  searchKeys: ['k'],
})

const artifact = (subject: string) => ({
  artifactHash: `sha256:${'ef'.repeat(32)}`,
  artifactType: 'file',
  subject,
  signature: 'c2ln',
  bundle: { mediaType: 'x' },
})

async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise
  } catch (error) {
    expect(StorageError.is(error)).toBe(true)
    return error as StorageError
  }
  throw new Error('expected a rejection')
}

describe.skipIf(!reachable)('PostgreSQL failures', () => {
  let database: TestDatabase
  let storage: SqlStorage

  const killConnections = () =>
    adminQuery(
      'SELECT count(pg_terminate_backend(pid)) AS killed FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database.name],
    )

  beforeAll(async () => {
    database = await createTestDatabase('failure')
    storage = await createPostgresStorage({
      connectionString: database.url,
      migrate: true,
      connectTimeoutMs: 2000,
    })
    await storage.createTree({
      treeId: TREE,
      origin: 'o',
      publicKeyPem: 'pem',
      keyAlgorithm: 'ed25519',
      logId: 'd4'.repeat(32),
      startIndex: 0,
      active: true,
      createdAt: new Date(),
    })
  })
  afterAll(async () => {
    await adminQuery(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`).catch(() => undefined)
    await storage?.close()
    await database?.drop()
  })

  it('connections killed mid-transaction → STORAGE_UNAVAILABLE, no partial rows, and the pool recovers', async () => {
    const error = await rejection(
      storage.withTreeLock(TREE, async (tx) => {
        await tx.appendLeaves([leaf(0), leaf(1), leaf(2)])
        await tx.putNodes(TREE, [{ level: 1, index: 0, hash: new Uint8Array(32).fill(9) }])
        const killed = await killConnections()
        expect(Number(killed.rows[0].killed)).toBeGreaterThan(0)
        await tx.putTreeHead({
          treeId: TREE,
          treeSize: 3,
          rootHash: new Uint8Array(32),
          checkpoint: 'cp',
          createdAt: new Date(),
        })
      }),
    )
    expect(error.code).toBe('STORAGE_UNAVAILABLE')
    expect(error.cause).toBeDefined()
    // The pool replaced the dead connection; nothing of the transaction was kept.
    expect(await storage.getLeafCount(TREE)).toBe(0)
    expect((await storage.getNodes(TREE, [{ level: 1, index: 0 }])).size).toBe(0)
    expect(await storage.getLatestTreeHead(TREE)).toBeUndefined()
    expect(await storage.findLeavesBySearchKey('k')).toEqual([])
    await storage.withTreeLock(TREE, (tx) => tx.appendLeaves([leaf(0)]))
    expect(await storage.getLeafCount(TREE)).toBe(1)
  })

  it('idle pooled connections killed by the server are replaced: reads retry once, the pool reconnects', async () => {
    await Promise.all([storage.listTrees(), storage.listTrees(), storage.listTrees()])
    await killConnections()
    // Right after the kill, a read may land on a connection that is still dying: it is retried once.
    expect((await storage.listTrees()).map((tree) => tree.treeId)).toEqual([TREE])
    // Once the server has let the old sessions go, writes get fresh connections.
    for (let attempt = 0; attempt < 50; attempt++) {
      const rows = await adminQuery(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state IS DISTINCT FROM 'idle'`,
        [database.name],
      )
      if (rows.rows[0].n === 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const saved = await storage.saveSignedArtifact(artifact('after-kill'))
    expect((await storage.getSignedArtifact(saved.id)).subject).toBe('after-kill')
  })

  it('a database that stops accepting connections → STORAGE_UNAVAILABLE; recovers when it returns', async () => {
    const before = (await storage.listSignedArtifacts()).items.length
    await adminQuery(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS false`)
    await killConnections()
    const error = await rejection(storage.saveSignedArtifact(artifact('while-down')))
    expect(error.code).toBe('STORAGE_UNAVAILABLE')
    expect(error.toJSON().message).not.toContain(database.name)
    const lockError = await rejection(storage.withTreeLock(TREE, (tx) => tx.appendLeaves([leaf(1)])))
    expect(lockError.code).toBe('STORAGE_UNAVAILABLE')
    await adminQuery(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`)
    await storage.saveSignedArtifact(artifact('after-return'))
    const subjects = (await storage.listSignedArtifacts()).items.map((record) => record.subject)
    expect(subjects).toHaveLength(before + 1)
    expect(subjects).not.toContain('while-down')
    expect(await storage.getLeafCount(TREE)).toBe(1)
  })

  it('an unreachable server → STORAGE_UNAVAILABLE without leaking the password', async () => {
    const error = await rejection(
      createPostgresStorage({
        connectionString: 'postgres://certus:s3cret-pw@127.0.0.1:1/certus',
        connectTimeoutMs: 2000,
      }),
    )
    expect(error.code).toBe('STORAGE_UNAVAILABLE')
    const surfaces = [
      JSON.stringify(error.toJSON()),
      error.message,
      String(error.stack),
      String((error.cause as Error)?.message),
    ]
    for (const surface of surfaces) expect(surface).not.toContain('s3cret-pw')
  })

  it('bad options → STORAGE_INVALID_OPTIONS without echoing the connection string', async () => {
    const error = await rejection(
      createPostgresStorage({ connectionString: 'mysql://certus:s3cret-pw@db/certus' }),
    )
    expect(error.code).toBe('STORAGE_INVALID_OPTIONS')
    expect(JSON.stringify(error.toJSON())).not.toContain('s3cret-pw')
    expect(JSON.stringify(error.toJSON())).toContain('connectionString')
    const both = await rejection(
      createPostgresStorage({ connectionString: database.url, pool: new pg.Pool() }),
    )
    expect(both.code).toBe('STORAGE_INVALID_OPTIONS')
    expect((await rejection(createPostgresStorage({}))).code).toBe('STORAGE_INVALID_OPTIONS')
  })

  it('an unmigrated database → STORAGE_UNAVAILABLE asking for migrate(); schemaVersion reports it', async () => {
    const empty = await createTestDatabase('empty')
    const fresh = await createPostgresStorage({ connectionString: empty.url })
    try {
      expect(await fresh.schemaVersion()).toEqual({ current: 0, latest: 2 })
      const error = await rejection(fresh.listSignedArtifacts())
      expect(error.toJSON()).toEqual({
        name: 'StorageError',
        code: 'STORAGE_UNAVAILABLE',
        message: 'the database schema is missing or out of date; run migrate()',
        details: { sqlState: '42P01' },
      })
      expect(await fresh.migrate()).toEqual({ applied: [1, 2], version: 2 })
      expect(await fresh.schemaVersion()).toEqual({ current: 2, latest: 2 })
      expect((await fresh.listSignedArtifacts()).items).toEqual([])
      // A shipped migration edited after it was applied is refused.
      const direct = new pg.Client({ connectionString: empty.url })
      await direct.connect()
      await direct.query(`UPDATE certus_schema_migrations SET checksum = 'edited' WHERE version = 1`)
      await direct.end()
      const conflict = await rejection(migrate({ connectionString: empty.url }))
      expect(conflict.toJSON()).toEqual({
        name: 'StorageError',
        code: 'STORAGE_CONFLICT',
        message: 'an applied migration differs from the shipped one',
        details: { version: 1, name: 'initial' },
      })
    } finally {
      await fresh.close()
      await empty.drop()
    }
  })

  it('leaves a caller-owned pool open and ends its own pool on close()', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 2 })
    try {
      const borrowed = await createPostgresStorage({ pool })
      await borrowed.close()
      await borrowed.close()
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
      expect((await rejection(borrowed.listTrees())).code).toBe('STORAGE_CLOSED')
    } finally {
      await pool.end()
    }
    const connections = async () =>
      Number(
        (
          await adminQuery('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [
            database.name,
          ])
        ).rows[0].n,
      )
    const before = await connections()
    const owned = await createPostgresStorage({ connectionString: database.url })
    await owned.listTrees()
    expect(await connections()).toBe(before + 1)
    await owned.close()
    // The server notices the disconnect asynchronously; give it a moment.
    for (let attempt = 0; attempt < 20 && (await connections()) !== before; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(await connections()).toBe(before)
    expect((await rejection(owned.listTrees())).code).toBe('STORAGE_CLOSED')
  })
})
