import { type ChildProcess, spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hashChildren, verifyCheckpoint, verifyConsistencyProof } from '@certus-trust/log-protocol'
import type { LogStorage } from '@certus-trust/storage'
import { createPGliteStorage, createPostgresStorage } from '@certus-trust/storage-postgres'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTransparencyLog } from '../src/index.js'
import { createScratchDatabase } from './databases.js'
import { hashedRekordRequest } from './entries-v2.js'
import { hashedRekordEntry, verifyEntryOffline } from './helpers.js'

const here = dirname(fileURLToPath(import.meta.url))
const packageDir = join(here, '..')

function startChild(url: string, keyPath: string, count: number, concurrency: number, mode = 'v1') {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(here, 'fixtures', 'log-child.ts'),
      url,
      keyPath,
      String(count),
      String(concurrency),
      mode,
    ],
    {
      cwd: packageDir,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(here, 'fixtures', 'tsconfig.child.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const acknowledged: number[] = []
  let stderr = ''
  let buffer = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString()
    const lines = buffer.split('\n')
    buffer = lines.pop()!
    for (const line of lines) if (line.startsWith('ok ')) acknowledged.push(Number(line.slice(3)))
  })
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, acknowledged, exited, stderr: () => stderr }
}

async function waitFor(condition: () => boolean, timeoutMs: number, describeFailure: () => string) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describeFailure()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

// Reference RFC 6962 root straight from the definition.
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return hashChildren(mth(leaves.slice(0, k)), mth(leaves.slice(k)))
}

/** Checks the whole stored tree: every leaf covered by the latest head, every head's root and checkpoint, every proof. */
async function checkWholeLog(storage: LogStorage, keyPath: string) {
  const [tree] = await storage.listTrees()
  const head = (await storage.getLatestTreeHead(tree!.treeId))!
  const leafCount = await storage.getLeafCount(tree!.treeId)
  expect(leafCount).toBe(head.treeSize)
  const hashes = await storage.getLeafHashes(tree!.treeId, 0, leafCount)
  expect(Buffer.from(mth(hashes)).toString('hex')).toBe(Buffer.from(head.rootHash).toString('hex'))
  const latest = verifyCheckpoint(head.checkpoint, { publicKey: tree!.publicKeyPem })
  let heads = 0
  for (let size = 1; size <= leafCount; size++) {
    const stored = await storage.getTreeHead(tree!.treeId, size)
    if (!stored) continue
    heads++
    // One root per size, and it is the root of exactly the first `size` leaves.
    expect(Buffer.from(stored.rootHash).toString('hex')).toBe(
      Buffer.from(mth(hashes.slice(0, size))).toString('hex'),
    )
    verifyCheckpoint(stored.checkpoint, { publicKey: tree!.publicKeyPem })
  }
  expect(heads).toBeGreaterThan(0)
  // Reopen as a log (with the same key file) and check every entry and a consistency proof from every 7th size.
  const log = await createTransparencyLog({
    storage,
    key: { path: keyPath },
    baseUrl: 'https://tlog.test.example',
  })
  for (let index = 0; index < leafCount; index++) {
    const entry = (await log.getEntryByIndex(index))!
    expect(entry.logIndex).toBe(index)
    verifyEntryOffline(entry, tree!.publicKeyPem, 'tlog.test.example')
  }
  for (let size = 1; size < leafCount; size += 7) {
    const proof = await log.getConsistencyProof({ firstSize: size, lastSize: leafCount })
    verifyConsistencyProof({
      oldSize: size,
      newSize: leafCount,
      oldRoot: mth(hashes.slice(0, size)),
      newRoot: latest.rootHash,
      proof: proof.hashes.map((hash) => new Uint8Array(Buffer.from(hash, 'hex'))),
    })
  }
  // The log keeps working after the crash.
  const after = await log.createEntry(hashedRekordEntry().proposed)
  expect(after.logIndex).toBe(leafCount)
  await log.close()
  return leafCount
}

describe('several processes and crashes against one PostgreSQL database', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>
  let directory: string
  let keyPath: string
  const children: ChildProcess[] = []

  beforeEach(async () => {
    database = await createScratchDatabase()
    directory = await mkdtemp(join(tmpdir(), 'tlog-proc-'))
    keyPath = join(directory, 'log-key.pem')
    // Initialise the log (tree, key file, size-0 head) once; the children open it.
    const storage = await createPostgresStorage({ connectionString: database.url, migrate: true })
    const log = await createTransparencyLog({
      storage,
      key: { path: keyPath },
      baseUrl: 'https://tlog.test.example',
    })
    await log.close()
    await storage.close()
  })

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
    await database.drop()
    await rm(directory, { recursive: true, force: true })
  })

  it('a writer killed mid-batch leaves a consistent tree covering every stored leaf', async () => {
    const writer = startChild(database.url, keyPath, 100_000, 16)
    children.push(writer.child)
    await waitFor(
      () => writer.acknowledged.length >= 150,
      60_000,
      () => `child acknowledged ${writer.acknowledged.length}; stderr: ${writer.stderr()}`,
    )
    writer.child.kill('SIGKILL')
    await writer.exited
    const acknowledged = [...writer.acknowledged]
    const storage = await createPostgresStorage({ connectionString: database.url })
    try {
      const leafCount = await checkWholeLog(storage, keyPath)
      // Everything acknowledged is stored (ack only after commit); entries in flight may or may not be.
      expect(Math.max(...acknowledged)).toBeLessThan(leafCount)
      expect(new Set(acknowledged).size).toBe(acknowledged.length)
    } finally {
      await storage.close()
    }
  }, 90_000)

  it('two processes appending to one database never produce a gap, a duplicate index or two roots for one size', async () => {
    const first = startChild(database.url, keyPath, 120, 8)
    const second = startChild(database.url, keyPath, 120, 8)
    children.push(first.child, second.child)
    const codes = await Promise.all([first.exited, second.exited])
    expect(codes, `stderr: ${first.stderr()} ${second.stderr()}`).toEqual([0, 0])
    const all = [...first.acknowledged, ...second.acknowledged].sort((a, b) => a - b)
    expect(all).toEqual(Array.from({ length: 240 }, (_, index) => index))
    const storage = await createPostgresStorage({ connectionString: database.url })
    try {
      expect(await checkWholeLog(storage, keyPath)).toBe(240)
    } finally {
      await storage.close()
    }
  }, 90_000)
})

/** The Rekor v2 counterpart of {@link checkWholeLog}: no SETs, C2SP origins, and the log keeps appending. */
async function checkWholeV2Log(storage: LogStorage, keyPath: string) {
  const [tree] = await storage.listTrees()
  expect(tree!.origin).toBe('tlog.test.example')
  const head = (await storage.getLatestTreeHead(tree!.treeId))!
  const leafCount = await storage.getLeafCount(tree!.treeId)
  expect(leafCount).toBe(head.treeSize)
  const hashes = await storage.getLeafHashes(tree!.treeId, 0, leafCount)
  expect(Buffer.from(mth(hashes)).toString('hex')).toBe(Buffer.from(head.rootHash).toString('hex'))
  for (let size = 1; size <= leafCount; size++) {
    const stored = await storage.getTreeHead(tree!.treeId, size)
    if (!stored) continue
    expect(Buffer.from(stored.rootHash)).toEqual(Buffer.from(mth(hashes.slice(0, size))))
    const checkpoint = verifyCheckpoint(stored.checkpoint, {
      publicKey: tree!.publicKeyPem,
      name: 'tlog.test.example',
    })
    expect(checkpoint.origin).toBe('tlog.test.example')
  }
  for (const index of [0, leafCount - 1]) {
    expect((await storage.getLeafByIndex(tree!.treeId, index))!.signedEntryTimestamp).toHaveLength(0)
  }
  const log = await createTransparencyLog({
    storage,
    key: { path: keyPath },
    baseUrl: 'https://tlog.test.example',
    apiVersion: 2,
  })
  const after = await log.createEntry(
    hashedRekordRequest(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey).request,
  )
  expect(after.logIndex).toBe(leafCount)
  await log.close()
  return leafCount
}

describe('Rekor v2: crashes and two writers against one PostgreSQL database', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>
  let directory: string
  let keyPath: string
  const children: ChildProcess[] = []

  beforeEach(async () => {
    database = await createScratchDatabase()
    directory = await mkdtemp(join(tmpdir(), 'tlog-proc-v2-'))
    keyPath = join(directory, 'rekor-v2-key.pem')
    const storage = await createPostgresStorage({ connectionString: database.url, migrate: true })
    const log = await createTransparencyLog({
      storage,
      key: { path: keyPath },
      baseUrl: 'https://tlog.test.example',
      apiVersion: 2,
    })
    await log.close()
    await storage.close()
  })

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
    await database.drop()
    await rm(directory, { recursive: true, force: true })
  })

  it('a v2 writer killed mid-batch leaves a consistent tree that reopens and keeps appending', async () => {
    const writer = startChild(database.url, keyPath, 100_000, 16, 'v2')
    children.push(writer.child)
    await waitFor(
      () => writer.acknowledged.length >= 150,
      60_000,
      () => `child acknowledged ${writer.acknowledged.length}; stderr: ${writer.stderr()}`,
    )
    writer.child.kill('SIGKILL')
    await writer.exited
    const acknowledged = [...writer.acknowledged]
    const storage = await createPostgresStorage({ connectionString: database.url })
    try {
      const leafCount = await checkWholeV2Log(storage, keyPath)
      expect(Math.max(...acknowledged)).toBeLessThan(leafCount)
      expect(new Set(acknowledged).size).toBe(acknowledged.length)
    } finally {
      await storage.close()
    }
  }, 90_000)

  it('two v2 writers never produce a gap or a duplicate index', async () => {
    const first = startChild(database.url, keyPath, 100, 8, 'v2')
    const second = startChild(database.url, keyPath, 100, 8, 'v2')
    children.push(first.child, second.child)
    const codes = await Promise.all([first.exited, second.exited])
    expect(codes, `stderr: ${first.stderr()} ${second.stderr()}`).toEqual([0, 0])
    const all = [...first.acknowledged, ...second.acknowledged].sort((a, b) => a - b)
    expect(all).toEqual(Array.from({ length: 200 }, (_, index) => index))
    const storage = await createPostgresStorage({ connectionString: database.url })
    try {
      expect(await checkWholeV2Log(storage, keyPath)).toBe(200)
    } finally {
      await storage.close()
    }
  }, 90_000)
})

describe('a crash against PGlite on disk (the embedded default)', () => {
  it('a writer killed mid-batch leaves a consistent tree that reopens and keeps appending', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tlog-pglite-'))
    const keyPath = join(directory, 'log-key.pem')
    const dataDir = join(directory, 'db')
    try {
      const writer = startChild(`pglite:${dataDir}`, keyPath, 100_000, 16)
      await waitFor(
        () => writer.acknowledged.length >= 100,
        60_000,
        () => `child acknowledged ${writer.acknowledged.length}; stderr: ${writer.stderr()}`,
      )
      writer.child.kill('SIGKILL')
      await writer.exited
      const acknowledged = [...writer.acknowledged]
      const storage = await createPGliteStorage({ dataDir })
      try {
        const leafCount = await checkWholeLog(storage, keyPath)
        expect(Math.max(...acknowledged)).toBeLessThan(leafCount)
      } finally {
        await storage.close()
      }
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  }, 90_000)
})
