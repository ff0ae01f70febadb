import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPostgresStorage, migrate } from '../src/index.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from './helpers.js'

const reachable = await postgresAvailable('storage-postgres concurrency')
const WORKER = fileURLToPath(new URL('./append-worker.ts', import.meta.url))

interface Worker {
  ready: Promise<void>
  go(): void
  done: Promise<{ starts: number[] }>
}

function startWorker(url: string, treeId: string, worker: string, batches: number, perBatch: number): Worker {
  let markReady!: () => void
  const ready = new Promise<void>((resolve) => {
    markReady = resolve
  })
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WORKER, url, treeId, worker, String(batches), String(perBatch)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  const done = new Promise<{ starts: number[] }>((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (stdout.startsWith('ready\n')) markReady()
    })
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      markReady()
      if (code === 0) resolve(JSON.parse(stdout.slice('ready\n'.length)))
      else reject(new Error(`worker ${worker} exited with ${code}: ${stderr.slice(0, 2000)}`))
    })
  })
  return { ready, go: () => child.stdin.end('go\n'), done }
}

describe.skipIf(!reachable)('PostgreSQL concurrency', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase('concurrency')
  })
  afterAll(async () => {
    await database?.drop()
  })

  it('migrates exactly once when several starters race, and stays idempotent', async () => {
    const results = await Promise.all([1, 2, 3].map(() => migrate({ connectionString: database.url })))
    expect(results.map((result) => result.applied).sort()).toEqual([[], [], [1, 2]])
    expect(results.every((result) => result.version === 2)).toBe(true)
    expect(await migrate({ connectionString: database.url })).toEqual({ applied: [], version: 2 })
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      const rows = await client.query('SELECT version, name FROM certus_schema_migrations ORDER BY version')
      expect(rows.rows).toEqual([
        { version: 1, name: 'initial' },
        { version: 2, name: 'guide_views' },
      ])
    } finally {
      await client.end()
    }
  })

  it('two processes and two pools appending at once produce gapless, unique indices', {
    timeout: 90_000,
  }, async () => {
    const setup = await createPostgresStorage({ connectionString: database.url })
    const poolA = await createPostgresStorage({ connectionString: database.url, maxConnections: 2 })
    const poolB = await createPostgresStorage({ connectionString: database.url, maxConnections: 2 })
    try {
      await setup.createTree({
        treeId: '777',
        origin: 'certus.test - 777',
        publicKeyPem: 'pem',
        keyAlgorithm: 'ecdsa-p256',
        logId: 'c3'.repeat(32),
        startIndex: 0,
        active: true,
        createdAt: new Date(),
      })
      const inProcess = (storage: typeof poolA, worker: string) => async () => {
        const starts: number[] = []
        for (let batch = 0; batch < 10; batch++) {
          starts.push(
            await storage.withTreeLock('777', async (tx) => {
              const count = await tx.getLeafCount('777')
              const leaves = [0, 1, 2].map((i) => {
                const body = Buffer.from(`${worker}:${batch}:${i}`)
                return {
                  treeId: '777',
                  leafIndex: count + i,
                  leafHash: createHash('sha256').update(body).digest(),
                  body,
                  integratedTime: 1,
                  signedEntryTimestamp: new Uint8Array([1]),
                  searchKeys: [`worker:${worker}`],
                }
              })
              await tx.appendLeaves(leaves)
              return count
            }),
          )
        }
        return { starts }
      }
      const children = [
        startWorker(database.url, '777', 'p1', 10, 3),
        startWorker(database.url, '777', 'p2', 10, 3),
      ]
      await Promise.all(children.map((child) => child.ready))
      for (const child of children) child.go()
      const results = await Promise.all([
        ...children.map((child) => child.done),
        inProcess(poolA, 'a')(),
        inProcess(poolB, 'b')(),
      ])
      const starts = results.flatMap((result) => result.starts).sort((a, b) => a - b)
      // The writers really overlapped: walking the log in index order, the writer changes many times.
      const writerAt = new Map(
        results.flatMap((result, writer) => result.starts.map((start) => [start, writer] as const)),
      )
      const ordered = [...writerAt.keys()].sort((a, b) => a - b).map((start) => writerAt.get(start))
      const switches = ordered.filter((writer, i) => i > 0 && writer !== ordered[i - 1]).length
      expect(switches).toBeGreaterThanOrEqual(3)
      // 4 writers × 10 batches × 3 leaves; each batch started exactly where the previous one ended.
      expect(starts).toEqual(Array.from({ length: 40 }, (_, i) => i * 3))
      expect(await setup.getLeafCount('777')).toBe(120)
      const hashes = await setup.getLeafHashes('777', 0, 120)
      expect(new Set(hashes.map((hash) => Buffer.from(hash).toString('hex'))).size).toBe(120)
      for (const worker of ['p1', 'p2', 'a', 'b']) {
        expect(await setup.findLeavesBySearchKey(`worker:${worker}`)).toHaveLength(30)
      }
    } finally {
      await Promise.all([setup.close(), poolA.close(), poolB.close()])
    }
  })
})
