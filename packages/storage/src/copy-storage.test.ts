import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  type CopyableStorage,
  type CopyProgress,
  copyStorage,
  createMemoryStorage,
  type LogLeaf,
  type LogNode,
  type LogTree,
  type Storage,
  StorageError,
  summarizeStorage,
} from './index.js'

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}
const text = (value: string) => new TextEncoder().encode(value)

function tree(treeId: string, startIndex: number, frozen: boolean): LogTree {
  return {
    treeId,
    origin: `certus.test - ${treeId}`,
    publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${treeId}\n-----END PUBLIC KEY-----\n`,
    keyAlgorithm: 'ecdsa-p256',
    logId: sha256(text(treeId)).reduce((out, byte) => out + byte.toString(16).padStart(2, '0'), ''),
    startIndex,
    active: !frozen,
    createdAt: new Date(1_700_000_000_000 + startIndex),
    ...(frozen ? { frozenAt: new Date(1_700_000_100_000) } : {}),
  }
}

function leaf(treeId: string, leafIndex: number): LogLeaf {
  const body = text(JSON.stringify({ treeId, leafIndex }))
  return {
    treeId,
    leafIndex,
    leafHash: sha256(new Uint8Array([0]), body),
    body,
    integratedTime: 1_700_000_000 + leafIndex,
    signedEntryTimestamp: sha256(text(`set ${leafIndex}`)),
    searchKeys: [`sha256:${leafIndex % 3}`, `email:user${leafIndex}@example.com`],
  }
}

/** Appends `count` leaves to `treeId` one batch at a time, storing the perfect subtrees and a head per batch. */
async function grow(storage: Storage, treeId: string, batches: number[]): Promise<void> {
  let size = await storage.getLeafCount(treeId)
  for (const count of batches) {
    await storage.withTreeLock(treeId, async (tx) => {
      const leaves = Array.from({ length: count }, (_, offset) => leaf(treeId, size + offset))
      if (leaves.length > 0) await tx.appendLeaves(leaves)
      const end = size + count
      const nodes: LogNode[] = []
      for (let level = 1, width = 2; width <= end; level++, width *= 2) {
        for (let index = Math.floor(size / width); index < Math.floor(end / width); index++) {
          nodes.push({ level, index, hash: sha256(text(`${treeId}/${level}/${index}`)) })
        }
      }
      // As the embedded log does: the trailing single leaf of the head's compact range is stored as a node.
      if (end % 2 === 1) nodes.push({ level: 0, index: end - 1, hash: leaf(treeId, end - 1).leafHash })
      if (nodes.length > 0) await tx.putNodes(treeId, nodes)
      await tx.putTreeHead({
        treeId,
        treeSize: end,
        rootHash: sha256(text(`${treeId}@${end}`)),
        checkpoint: `certus.test - ${treeId}\n${end}\nroot\n\n— sig\n`,
        createdAt: new Date(1_700_000_000_000 + end * 1000),
      })
      size = end
    })
  }
}

/** A store with records and two trees: a frozen one of 11 leaves (heads 0, 4, 5, 11) and an active one of 3. */
async function populated(): Promise<Storage> {
  const storage = createMemoryStorage()
  const frozen = tree('1111', 0, true)
  const active = tree('2222', 11, false)
  await storage.createTree(frozen)
  await grow(storage, frozen.treeId, [0, 4, 1, 6])
  await storage.createTree(active)
  await grow(storage, active.treeId, [3])
  for (let index = 0; index < 7; index++) {
    await storage.saveSignedArtifact({
      artifactHash: `sha256:${String(index).repeat(64)}`,
      artifactType: 'file',
      subject: `file-${index}.txt`,
      signature: 'c2ln',
      publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
      bundle: { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', z: 1, a: [index] },
      logIndex: index,
      logId: frozen.logId,
      integratedTime: 1_700_000_000 + index,
      createdAt: new Date(1_700_000_000_000 + (index % 3) * 1000),
      ...(index % 2 === 0 ? { idempotencyKey: `key-${index}` } : {}),
      ...(index === 3 ? { predicates: { b: 1, a: [true, null] } } : {}),
    })
  }
  await storage.saveVerificationRecord({ artifactHash: `sha256:${'a'.repeat(64)}`, valid: true, signer: 'k' })
  await storage.saveVerificationRecord({
    artifactHash: `sha256:${'b'.repeat(64)}`,
    valid: false,
    failureCode: 'VERIFIER_SIGNATURE',
    failureMessage: 'bad signature',
  })
  return storage
}

describe('copyStorage', () => {
  it('copies records and every tree exactly, across slice boundaries, and reports the same summary', async () => {
    const source = await populated()
    const target = createMemoryStorage()
    const progress: CopyProgress[] = []
    const summary = await copyStorage(source, target, {
      batchSize: 3,
      onProgress: (step) => progress.push(step),
    })
    expect(summary).toEqual(await summarizeStorage(source))
    expect(summary).toMatchObject({
      signedArtifacts: 7,
      verificationRecords: 2,
      trees: [
        { treeId: '1111', active: false, leafCount: 11, treeSize: 11, treeHeads: 4, nodes: 2 + 5 + 2 + 1 },
        { treeId: '2222', active: true, startIndex: 11, leafCount: 3, treeSize: 3, treeHeads: 1, nodes: 2 },
      ],
    })
    expect(progress.some((step) => step.phase === 'copy' && step.part === 'tree')).toBe(true)
    expect(progress.at(-1)).toMatchObject({
      phase: 'verify',
      part: 'tree',
      treeId: '2222',
      done: 3,
      total: 3,
    })

    // Read back through the interface, independently of the digests.
    expect(await target.listTrees()).toEqual(await source.listTrees())
    for (const id of ['1111', '2222']) {
      const size = await source.getLeafCount(id)
      for (let index = 0; index < size; index++) {
        expect(await target.getLeafByIndex(id, index)).toEqual(await source.getLeafByIndex(id, index))
      }
      for (let treeSize = 0; treeSize <= size; treeSize++) {
        expect(await target.getTreeHead(id, treeSize)).toEqual(await source.getTreeHead(id, treeSize))
      }
    }
    const keys = [0, 1, 2, 3].flatMap((level) => [0, 1, 2, 3, 4].map((index) => ({ level, index })))
    expect(await target.getNodes('1111', keys)).toEqual(await source.getNodes('1111', keys))
    expect((await target.getNodes('1111', [{ level: 0, index: 4 }])).size).toBe(1)
    expect(await target.findLeavesBySearchKey('sha256:1')).toEqual(
      await source.findLeavesBySearchKey('sha256:1'),
    )
    const all = { limit: 100 }
    expect(await target.listSignedArtifacts(all)).toEqual(await source.listSignedArtifacts(all))
    expect(await target.listVerificationRecords(all)).toEqual(await source.listVerificationRecords(all))
    // Idempotency keys came along: saving again with one returns the copied record.
    const first = (await source.listSignedArtifacts({ artifactHash: `sha256:${'0'.repeat(64)}` })).items[0]!
    const replay = await target.saveSignedArtifact({ ...first, id: undefined, createdAt: undefined })
    expect(replay.id).toBe(first.id)
    // The copy is a working log: the next leaf of the active tree continues its index.
    await grow(target, '2222', [1])
    expect(await target.getLeafCount('2222')).toBe(4)
  })

  it('copies an empty store', async () => {
    const summary = await copyStorage(createMemoryStorage(), createMemoryStorage())
    expect(summary).toMatchObject({ signedArtifacts: 0, verificationRecords: 0, trees: [] })
  })

  it('refuses a target that holds anything', async () => {
    const target = createMemoryStorage()
    await target.createTree(tree('3333', 0, false))
    const error = await copyStorage(await populated(), target).catch((caught: unknown) => caught)
    expect(StorageError.is(error, 'STORAGE_CONFLICT')).toBe(true)
    expect((error as StorageError).details).toMatchObject({ field: 'target' })
  })

  it('rejects bad batch sizes', async () => {
    const error = await copyStorage(createMemoryStorage(), createMemoryStorage(), { batchSize: 0 }).catch(
      (caught: unknown) => caught,
    )
    expect(StorageError.is(error, 'STORAGE_INVALID_OPTIONS')).toBe(true)
  })

  it('detects a target that loses a search key, a head or a record', async () => {
    const cases: Array<[string, (storage: Storage) => CopyableStorage]> = [
      [
        'digest',
        (storage) =>
          withTreeLockWrapped(storage, (tx) => ({
            ...tx,
            appendLeaves: (leaves) =>
              tx.appendLeaves(leaves.map((item) => ({ ...item, searchKeys: item.searchKeys.slice(1) }))),
          })),
      ],
      [
        'treeHeads',
        (storage) =>
          withTreeLockWrapped(storage, (tx) => ({
            ...tx,
            putTreeHead: async (head) => (head.treeSize === 4 ? undefined : tx.putTreeHead(head)),
          })),
      ],
      [
        'verificationRecords',
        (storage) =>
          Object.assign(Object.create(storage) as Storage, {
            saveVerificationRecord: async () => undefined,
          }),
      ],
    ]
    for (const [field, wrap] of cases) {
      const error = await copyStorage(await populated(), wrap(createMemoryStorage())).catch(
        (caught: unknown) => caught,
      )
      expect(StorageError.is(error, 'STORAGE_CONFLICT'), String(error)).toBe(true)
      expect((error as StorageError).details).toMatchObject({ field })
    }
  })
})

type Tx = Parameters<Parameters<Storage['withTreeLock']>[1]>[0]

/** The storage, with every write transaction's methods replaced by `wrap`'s. */
function withTreeLockWrapped(storage: Storage, wrap: (tx: Tx) => Tx): CopyableStorage {
  return Object.assign(Object.create(storage) as Storage, {
    withTreeLock: <T>(treeId: string, fn: (tx: Tx) => Promise<T>) =>
      storage.withTreeLock(treeId, (tx) => fn(wrap(bindAll(tx)))),
  })
}

function bindAll(tx: Tx): Tx {
  const bound: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(tx)) {
    bound[name] = typeof value === 'function' ? value.bind(tx) : value
  }
  return bound as unknown as Tx
}
