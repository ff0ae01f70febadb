import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteStorage, type SqliteStorage } from '../src/index.js'
import { chainRoot, leafHashOf } from './chain.js'
import { scratchDirectory } from './helpers.js'

const scratch = scratchDirectory('concurrency')
const WORKER = fileURLToPath(new URL('./append-worker.ts', import.meta.url))
const TREE = '777'
afterAll(() => scratch.remove())

interface Ack {
  batch: number
  start: number
  size: number
}

/** One append-worker child: `ready` once it opened the database, `acks` as its batches commit. */
interface Worker {
  name: string
  child: ChildProcessWithoutNullStreams
  ready: Promise<void>
  acks: Ack[]
  exited: Promise<number | null>
  stderr(): string
}

function startWorker(path: string, name: string, batches: number, perBatch: number): Worker {
  const child = spawn(process.execPath, [
    '--import',
    'tsx',
    WORKER,
    path,
    TREE,
    name,
    String(batches),
    String(perBatch),
  ])
  const acks: Ack[] = []
  let stderr = ''
  let buffer = ''
  let markReady!: () => void
  const ready = new Promise<void>((resolve) => {
    markReady = resolve
  })
  child.stdout.on('data', (chunk) => {
    buffer += chunk
    let newline = buffer.indexOf('\n')
    while (newline >= 0) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + 1)
      if (line === 'ready') markReady()
      const ack = /^ack (\d+) (\d+)$/.exec(line)
      if (ack) acks.push({ batch: acks.length, start: Number(ack[1]), size: Number(ack[2]) })
      newline = buffer.indexOf('\n')
    }
  })
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      markReady()
      resolve(code)
    }),
  )
  return { name, child, ready, acks, exited, stderr: () => stderr }
}

async function createLog(path: string): Promise<SqliteStorage> {
  const storage = await createSqliteStorage({ path, migrate: true })
  await storage.createTree({
    treeId: TREE,
    origin: `certus.test - ${TREE}`,
    publicKeyPem: 'pem',
    keyAlgorithm: 'ecdsa-p256',
    logId: 'c3'.repeat(32),
    startIndex: 0,
    active: true,
    createdAt: new Date(),
  })
  return storage
}

/** Checks the whole log: gapless leaves, each batch's head chained from the previous one, heads = leaves. */
async function expectConsistentLog(storage: SqliteStorage, perBatch: number): Promise<number> {
  const count = await storage.getLeafCount(TREE)
  expect(count % perBatch).toBe(0)
  const hashes = await storage.getLeafHashes(TREE, 0, count)
  expect(new Set(hashes.map((hash) => Buffer.from(hash).toString('hex'))).size).toBe(count)
  let root: Uint8Array = new Uint8Array(32)
  for (let size = perBatch; size <= count; size += perBatch) {
    const head = await storage.getTreeHead(TREE, size)
    expect(head, `head at ${size}`).toBeDefined()
    root = chainRoot(root, hashes.slice(size - perBatch, size))
    expect(Buffer.from(head!.rootHash).toString('hex')).toBe(Buffer.from(root).toString('hex'))
  }
  expect((await storage.getLatestTreeHead(TREE))?.treeSize ?? 0).toBe(count)
  return count
}

describe('SQLite concurrency across processes', () => {
  it('processes and in-process writers appending at once produce gapless, unique indices', {
    timeout: 120_000,
  }, async () => {
    const path = join(scratch.path, 'shared.sqlite')
    const setup = await createLog(path)
    const second = await createSqliteStorage({ path })
    try {
      const workers = [startWorker(path, 'p1', 10, 3), startWorker(path, 'p2', 10, 3)]
      await Promise.all(workers.map((worker) => worker.ready))
      for (const worker of workers) worker.child.stdin.end('go\n')
      const inProcess = async (storage: SqliteStorage, name: string) => {
        for (let batch = 0; batch < 10; batch++) {
          await storage.withTreeLock(TREE, async (tx) => {
            const count = await tx.getLeafCount(TREE)
            const head = await tx.getLatestTreeHead(TREE)
            const leaves = [0, 1, 2].map((i) => ({
              treeId: TREE,
              leafIndex: count + i,
              leafHash: leafHashOf(`${name}:${batch}:${i}`),
              body: Buffer.from(`${name}:${batch}:${i}`),
              integratedTime: 1,
              signedEntryTimestamp: new Uint8Array([1]),
              searchKeys: [`worker:${name}`],
            }))
            await tx.appendLeaves(leaves)
            await tx.putTreeHead({
              treeId: TREE,
              treeSize: count + 3,
              rootHash: chainRoot(
                head?.rootHash ?? new Uint8Array(32),
                leaves.map((leaf) => leaf.leafHash),
              ),
              checkpoint: name,
              createdAt: new Date(),
            })
          })
        }
      }
      await Promise.all([inProcess(setup, 'a'), inProcess(second, 'b')])
      const codes = await Promise.all(workers.map((worker) => worker.exited))
      expect(codes, workers.map((worker) => worker.stderr()).join('\n')).toEqual([0, 0])
      expect(await expectConsistentLog(setup, 3)).toBe(120)
      for (const name of ['p1', 'p2', 'a', 'b'])
        expect(await setup.findLeavesBySearchKey(`worker:${name}`)).toHaveLength(30)
    } finally {
      await Promise.all([setup.close(), second.close()])
    }
  })

  it('kill -9 during concurrent appends loses no acknowledged entry and never forks the log', {
    timeout: 180_000,
  }, async () => {
    const path = join(scratch.path, 'killed.sqlite')
    await (await createLog(path)).close()
    const PER_BATCH = 2
    const workers = ['k1', 'k2', 'k3'].map((name) => startWorker(path, name, 0, PER_BATCH))
    await Promise.all(workers.map((worker) => worker.ready))
    for (const worker of workers) worker.child.stdin.write('go\n')
    // Let every writer get some batches acknowledged, then kill them all mid-flight.
    const deadline = Date.now() + 120_000
    while (workers.some((worker) => worker.acks.length < 5) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    for (const worker of workers) worker.child.kill('SIGKILL')
    await Promise.all(workers.map((worker) => worker.exited))
    for (const worker of workers) expect(worker.acks.length, worker.stderr()).toBeGreaterThanOrEqual(5)

    const storage = await createSqliteStorage({ path })
    try {
      const count = await expectConsistentLog(storage, PER_BATCH)
      // Every acknowledged batch is stored, at the index it was acknowledged with, with its own leaves.
      for (const worker of workers) {
        for (const ack of worker.acks) {
          const hashes = await storage.getLeafHashes(TREE, ack.start, ack.size)
          expect(hashes.map((hash) => Buffer.from(hash).toString('hex'))).toEqual(
            Array.from({ length: PER_BATCH }, (_, i) =>
              Buffer.from(leafHashOf(`${worker.name}:${ack.batch}:${i}`)).toString('hex'),
            ),
          )
          expect(count).toBeGreaterThanOrEqual(ack.size)
        }
      }
      // The write lock died with its holder: a new writer appends right away.
      await storage.withTreeLock(TREE, async (tx) => {
        const size = await tx.getLeafCount(TREE)
        await tx.appendLeaves([
          {
            treeId: TREE,
            leafIndex: size,
            leafHash: leafHashOf('after-kill'),
            body: Buffer.from('after-kill'),
            integratedTime: 1,
            signedEntryTimestamp: new Uint8Array([1]),
            searchKeys: [],
          },
        ])
      })
      expect(await storage.getLeafCount(TREE)).toBe(count + 1)
    } finally {
      await storage.close()
    }
    const raw = new DatabaseSync(path)
    expect(raw.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' })
    raw.close()
  })
})
