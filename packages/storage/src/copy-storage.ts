import { createHash, type Hash } from 'node:crypto'
import { StorageError } from './errors.js'
import type { LogLeaf, LogTree, LogTreeHead } from './log-storage.js'
import type { SignedArtifact, VerificationRecord } from './records.js'
import { type CopyableStorage, type StorageVisitor, type TreeSlice, walkStorage } from './storage-walk.js'

/** Options of {@link copyStorage} and {@link summarizeStorage}. */
export interface CopyStorageOptions {
  /**
   * Leaves per write transaction (and records per page read).
   * @default 500
   */
  batchSize?: number
  /** Called as the copy advances, e.g. to print progress lines. Must not throw. */
  onProgress?: (progress: CopyProgress) => void
}

/** Where a copy stands. `total` is known for trees (their leaf count). */
export interface CopyProgress {
  /** `copy` while writing the target, `verify` while reading it back. */
  phase: 'copy' | 'verify'
  /** What is being read: `signed-artifacts`, `verification-records` or `tree`. */
  part: 'signed-artifacts' | 'verification-records' | 'tree'
  treeId?: string
  done: number
  total?: number
}

/** One tree of a {@link StorageSummary}. */
export interface TreeSummary {
  treeId: string
  logId: string
  origin: string
  active: boolean
  /** Global index of the tree's leaf 0. */
  startIndex: number
  /** Number of leaves. */
  leafCount: number
  /** Size and hex root hash of the latest recorded head (absent when the tree has none). */
  treeSize?: number
  rootHash?: string
  /** Number of recorded heads and of stored perfect-subtree nodes. */
  treeHeads: number
  nodes: number
  /** Hex SHA-256 over the tree record, every leaf, node and head, in order: equal digests, equal trees. */
  digest: string
}

/** What a storage holds, counted and digested: two stores with equal summaries hold the same data. */
export interface StorageSummary {
  signedArtifacts: number
  verificationRecords: number
  /** Hex SHA-256 over every signed artifact and verification record, newest first. */
  recordsDigest: string
  trees: TreeSummary[]
}

const DEFAULT_BATCH_SIZE = 500

/**
 * Copies everything `from` holds into the empty storage `to` through the storage interface (so any two backends
 * work): signed artifacts and verification records with their ids, times and idempotency keys, and every log tree
 * with its leaves in index order (search keys included), perfect-subtree nodes and recorded heads. Then reads `to`
 * back and checks that it holds exactly what was read from `from` (counts, every tree's size and root hash, and a
 * digest over every item), and that `from`'s trees still end where the copy ended.
 *
 * Writes to `to` are not undone on failure: copy into storage you can throw away (a temporary file).
 *
 * @returns the summary of `to`, equal to that of `from`.
 * @throws StorageError `STORAGE_CONFLICT` when `to` is not empty or the copy differs from the source
 *   (`details.field` names what differs); errors of either backend pass through.
 * @example
 * const summary = await copyStorage(pgliteStorage, sqliteStorage, { onProgress: (p) => console.error(p) })
 */
export async function copyStorage(
  from: CopyableStorage,
  to: CopyableStorage,
  options: CopyStorageOptions = {},
): Promise<StorageSummary> {
  const batchSize = resolveBatchSize(options.batchSize)
  await assertEmpty(to)
  const copier = new SummaryBuilder('copy', options.onProgress)
  await walkStorage(from, copyingVisitor(copier, to), batchSize)
  const expected = copier.summary()
  const actual = await summarizeStorage(to, { ...options, batchSize })
  assertSameSummary(expected, actual)
  await assertSourceUnchanged(from, expected)
  return actual
}

/**
 * Reads everything a storage holds and returns its counts, latest heads and digests (see {@link copyStorage}).
 * @throws errors of the backend.
 */
export async function summarizeStorage(
  storage: CopyableStorage,
  options: CopyStorageOptions = {},
): Promise<StorageSummary> {
  const builder = new SummaryBuilder('verify', options.onProgress)
  await walkStorage(storage, builder, resolveBatchSize(options.batchSize))
  return builder.summary()
}

function resolveBatchSize(batchSize: number | undefined): number {
  const value = batchSize ?? DEFAULT_BATCH_SIZE
  if (!Number.isInteger(value) || value < 1 || value > 100_000) {
    throw new StorageError({
      code: 'STORAGE_INVALID_OPTIONS',
      message: 'batchSize must be an integer from 1 to 100000',
    })
  }
  return value
}

async function assertEmpty(storage: CopyableStorage): Promise<void> {
  const [trees, artifacts, verifications] = await Promise.all([
    storage.listTrees(),
    storage.listSignedArtifacts({ limit: 1 }),
    storage.listVerificationRecords({ limit: 1 }),
  ])
  if (trees.length > 0 || artifacts.items.length > 0 || verifications.items.length > 0) {
    throw new StorageError({
      code: 'STORAGE_CONFLICT',
      message: 'the target storage of a copy must be empty',
      details: { field: 'target' },
    })
  }
}

/** Writes each item read from the source into `to`, and digests it as it goes. */
function copyingVisitor(builder: SummaryBuilder, to: CopyableStorage): StorageVisitor {
  return {
    async signedArtifacts(items) {
      for (const item of items) await to.saveSignedArtifact(item)
      await builder.signedArtifacts(items)
    },
    async verificationRecords(items) {
      for (const item of items) await to.saveVerificationRecord(item)
      await builder.verificationRecords(items)
    },
    async tree(tree, leafCount) {
      await to.createTree(tree)
      await builder.tree(tree, leafCount)
    },
    async slice(slice) {
      // One transaction per slice: leaves first, so the nodes and heads they complete are valid when written.
      await to.withTreeLock(slice.treeId, async (tx) => {
        if (slice.leaves.length > 0) await tx.appendLeaves(slice.leaves)
        if (slice.nodes.length > 0) await tx.putNodes(slice.treeId, slice.nodes)
        for (const head of slice.heads) await tx.putTreeHead(head)
      })
      await builder.slice(slice)
    },
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

interface TreeProgress {
  tree: LogTree
  leafCount: number
  /** Tree record and leaves; nodes and heads apart, so that the digests do not depend on the slice size. */
  hash: Hash
  nodeHash: Hash
  headHash: Hash
  heads: number
  nodes: number
  latest?: LogTreeHead
}

/** A visitor that counts and digests what it is shown. */
class SummaryBuilder implements StorageVisitor {
  readonly #records = createHash('sha256')
  #signedArtifacts = 0
  #verificationRecords = 0
  readonly #trees: TreeProgress[] = []

  constructor(
    readonly phase: CopyProgress['phase'],
    readonly onProgress: CopyStorageOptions['onProgress'],
  ) {}

  async signedArtifacts(items: SignedArtifact[]): Promise<void> {
    for (const item of items) this.#records.update(`a${recordLine(item)}\n`)
    this.#signedArtifacts += items.length
    this.onProgress?.({ phase: this.phase, part: 'signed-artifacts', done: this.#signedArtifacts })
  }

  async verificationRecords(items: VerificationRecord[]): Promise<void> {
    for (const item of items) this.#records.update(`v${recordLine(item)}\n`)
    this.#verificationRecords += items.length
    this.onProgress?.({ phase: this.phase, part: 'verification-records', done: this.#verificationRecords })
  }

  async tree(tree: LogTree, leafCount: number): Promise<void> {
    const hash = createHash('sha256').update(`t${recordLine(tree)}\n`)
    this.#trees.push({
      tree,
      leafCount,
      hash,
      nodeHash: createHash('sha256'),
      headHash: createHash('sha256'),
      heads: 0,
      nodes: 0,
    })
  }

  async slice(slice: TreeSlice): Promise<void> {
    const current = this.#trees.at(-1)!
    for (const leaf of slice.leaves) current.hash.update(`l${leafLine(leaf)}\n`)
    for (const node of slice.nodes)
      current.nodeHash.update(`n${node.level}:${node.index}:${hex(node.hash)}\n`)
    for (const head of slice.heads) {
      current.headHash.update(`h${head.treeSize}:${hex(head.rootHash)}:${head.createdAt.toISOString()}:`)
      current.headHash.update(`${JSON.stringify(head.checkpoint)}\n`)
      current.latest = head
    }
    current.heads += slice.heads.length
    current.nodes += slice.nodes.length
    const { treeId } = slice
    this.onProgress?.({ phase: this.phase, part: 'tree', treeId, done: slice.end, total: current.leafCount })
  }

  summary(): StorageSummary {
    return {
      signedArtifacts: this.#signedArtifacts,
      verificationRecords: this.#verificationRecords,
      recordsDigest: this.#records.copy().digest('hex'),
      trees: this.#trees.map((entry) => {
        const { latest } = entry
        return {
          treeId: entry.tree.treeId,
          logId: entry.tree.logId,
          origin: entry.tree.origin,
          active: entry.tree.active,
          startIndex: entry.tree.startIndex,
          leafCount: entry.leafCount,
          ...(latest ? { treeSize: latest.treeSize, rootHash: hex(latest.rootHash) } : {}),
          treeHeads: entry.heads,
          nodes: entry.nodes,
          digest: entry.hash
            .copy()
            .update(entry.nodeHash.copy().digest())
            .update(entry.headHash.copy().digest())
            .digest('hex'),
        }
      }),
    }
  }
}

/**
 * A record as one line: its fields sorted by name (backends build their objects in different orders), each value
 * as JSON — nested documents such as `bundle` keep their key order, which storage promises to return unchanged.
 */
function recordLine(record: object): string {
  const fields = Object.entries(record).filter(([, value]) => value !== undefined)
  fields.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return fields.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join('\t')
}

function leafLine(leaf: LogLeaf): string {
  return JSON.stringify([
    leaf.treeId,
    leaf.leafIndex,
    hex(leaf.leafHash),
    hex(leaf.body),
    leaf.integratedTime,
    hex(leaf.signedEntryTimestamp),
    leaf.searchKeys,
  ])
}

function mismatch(field: string, expected: unknown, actual: unknown, treeId?: string): StorageError {
  return new StorageError({
    code: 'STORAGE_CONFLICT',
    message: `the copy differs from its source (${treeId ? `tree ${treeId}: ` : ''}${field})`,
    details: { field, expected, actual, ...(treeId ? { treeId } : {}) },
  })
}

function assertSameSummary(expected: StorageSummary, actual: StorageSummary): void {
  for (const field of ['signedArtifacts', 'verificationRecords', 'recordsDigest'] as const) {
    if (expected[field] !== actual[field]) throw mismatch(field, expected[field], actual[field])
  }
  if (expected.trees.length !== actual.trees.length) {
    throw mismatch('trees', expected.trees.length, actual.trees.length)
  }
  expected.trees.forEach((tree, position) => {
    const copy = actual.trees[position]!
    // Sizes and roots first: they say what is wrong more plainly than the digest does.
    const fields = ['treeId', 'leafCount', 'treeSize', 'rootHash', 'treeHeads', 'nodes', 'digest'] as const
    for (const field of fields) {
      if (tree[field] !== copy[field]) throw mismatch(field, tree[field], copy[field], tree.treeId)
    }
  })
}

/** The source is read under no lock: make sure no writer added to it while it was being copied. */
async function assertSourceUnchanged(from: CopyableStorage, expected: StorageSummary): Promise<void> {
  for (const tree of expected.trees) {
    const leafCount = await from.getLeafCount(tree.treeId)
    if (leafCount !== tree.leafCount)
      throw mismatch('source leafCount', tree.leafCount, leafCount, tree.treeId)
    const head = await from.getLatestTreeHead(tree.treeId)
    const rootHash = head ? hex(head.rootHash) : undefined
    if (head?.treeSize !== tree.treeSize || rootHash !== tree.rootHash) {
      throw mismatch('source treeSize', tree.treeSize, head?.treeSize, tree.treeId)
    }
  }
}
