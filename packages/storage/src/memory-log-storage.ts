import { bytesEqual, KeyedMutex } from '@certus-trust/core'
import type { LogLeaf, LogStorage, LogTree, LogTreeHead, LogWriteTransaction } from './log-storage.js'
import {
  assertIndex,
  assertNodeKeys,
  checkLeafBatch,
  copyBytes,
  dedupeNodes,
  isValidTreeId,
  logErrors,
  nodeKey,
  normalizeDate,
  normalizeLogLeaves,
  normalizeLogNodes,
  normalizeLogTree,
  normalizeLogTreeHead,
  resolveSearchLimit,
} from './log-validation.js'

interface TreeState {
  tree: LogTree
  seq: number
  leaves: LogLeaf[]
  leafIndexByHash: Map<string, number>
  nodes: Map<string, Uint8Array>
  heads: Map<number, LogTreeHead>
  latestHeadSize: number | undefined
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

function copyLeaf(leaf: LogLeaf): LogLeaf {
  return {
    treeId: leaf.treeId,
    leafIndex: leaf.leafIndex,
    leafHash: copyBytes(leaf.leafHash),
    body: copyBytes(leaf.body),
    integratedTime: leaf.integratedTime,
    signedEntryTimestamp: copyBytes(leaf.signedEntryTimestamp),
    searchKeys: [...leaf.searchKeys],
  }
}

function copyTree(tree: LogTree): LogTree {
  const copy: LogTree = { ...tree, createdAt: new Date(tree.createdAt.getTime()) }
  if (tree.frozenAt !== undefined) copy.frozenAt = new Date(tree.frozenAt.getTime())
  else delete copy.frozenAt
  return copy
}

function copyHead(head: LogTreeHead): LogTreeHead {
  return { ...head, rootHash: copyBytes(head.rootHash), createdAt: new Date(head.createdAt.getTime()) }
}

/** Guards shared with the records part: throws `STORAGE_CLOSED` once the storage is closed. */
export interface ClosedGuard {
  assertOpen(): void
}

/** The trees of one in-memory log, and the helpers its storage and its transactions share. */
class MemoryTrees {
  readonly trees = new Map<string, TreeState>()
  readonly searchIndex = new Map<string, Array<{ treeId: string; leafIndex: number }>>()
  #nextSeq = 0

  add(tree: LogTree): void {
    this.trees.set(tree.treeId, {
      tree,
      seq: this.#nextSeq++,
      leaves: [],
      leafIndexByHash: new Map(),
      nodes: new Map(),
      heads: new Map(),
      latestHeadSize: undefined,
    })
  }

  active(): TreeState | undefined {
    return [...this.trees.values()].find((state) => state.tree.active)
  }

  readNodes(
    state: TreeState | undefined,
    keys: ReadonlyArray<{ level: number; index: number }>,
    staged?: Map<string, Uint8Array>,
  ): Map<string, Uint8Array> {
    assertNodeKeys(keys)
    const result = new Map<string, Uint8Array>()
    for (const { level, index } of keys) {
      const key = nodeKey(level, index)
      // Level 0 nodes are the leaf hashes themselves.
      const hash = staged?.get(key) ?? state?.nodes.get(key)
      if (hash) result.set(key, copyBytes(hash))
    }
    return result
  }

  checkRotation(treeId: string, frozenAt: Date, nextTree: LogTree): Rotation {
    const next = normalizeLogTree({ ...nextTree, active: true, frozenAt: undefined })
    const frozenTime = normalizeDate('frozenAt', frozenAt)
    const current = this.trees.get(treeId)
    if (!current) throw logErrors.treeNotFound(String(treeId))
    if (current.tree.frozenAt !== undefined) throw logErrors.treeFrozen(treeId)
    if (this.trees.has(next.treeId)) throw logErrors.treeExists(next.treeId)
    const otherActive = this.active()
    if (otherActive && otherActive.tree.treeId !== treeId) throw logErrors.activeTreeExists()
    return { current, next, frozenTime }
  }

  applyRotation({ current, next, frozenTime }: Rotation): void {
    current.tree = { ...current.tree, active: false, frozenAt: frozenTime }
    this.add(next)
  }
}

interface Rotation {
  current: TreeState
  next: LogTree
  frozenTime: Date
}

/**
 * The writes of one `withTreeLock` callback, staged until {@link StagedTransaction.commit} applies them
 * synchronously; reads see committed state plus what this transaction staged.
 */
class StagedTransaction {
  readonly leaves: LogLeaf[] = []
  readonly hashes = new Set<string>()
  readonly nodes = new Map<string, Uint8Array>()
  readonly heads = new Map<number, LogTreeHead>()
  rotation: { frozenAt: Date; next: LogTree } | undefined
  finished = false

  constructor(
    readonly log: MemoryTrees,
    readonly storage: LogStorage,
    readonly guard: ClosedGuard,
    readonly treeId: string,
    readonly state: TreeState,
  ) {}

  assertActive(): void {
    if (this.finished) throw logErrors.transactionFinished()
    this.guard.assertOpen()
  }

  /** The transaction object handed to the callback. */
  view(): LogWriteTransaction {
    const { treeId, state, storage } = this
    return {
      getLeafCount: async (id) => {
        this.assertActive()
        return id === treeId ? state.leaves.length + this.leaves.length : storage.getLeafCount(id)
      },
      getLatestTreeHead: async (id) => {
        this.assertActive()
        return id === treeId ? this.latestHead() : storage.getLatestTreeHead(id)
      },
      getNodes: async (id, keys) => {
        this.assertActive()
        return id === treeId ? this.log.readNodes(state, keys, this.nodes) : storage.getNodes(id, keys)
      },
      getLeavesByHash: async (id, hashes) => {
        this.assertActive()
        return this.leavesByHash(id, hashes)
      },
      appendLeaves: async (leaves) => this.appendLeaves(leaves),
      putNodes: async (id, nodes) => this.putNodes(id, nodes),
      putTreeHead: async (head) => {
        this.assertActive()
        const value = normalizeLogTreeHead(treeId, head)
        if (state.heads.has(value.treeSize) || this.heads.has(value.treeSize)) {
          throw logErrors.duplicateTreeHead(treeId, value.treeSize)
        }
        this.heads.set(value.treeSize, value)
      },
      getTree: async (id) => {
        this.assertActive()
        return this.getTree(id)
      },
      rotateTree: async (frozenAt, nextTree) => {
        this.assertActive()
        if (this.rotation) throw logErrors.treeFrozen(treeId)
        const { next, frozenTime } = this.log.checkRotation(treeId, frozenAt, nextTree)
        this.rotation = { frozenAt: frozenTime, next }
      },
    }
  }

  latestHead(): LogTreeHead | undefined {
    let best: LogTreeHead | undefined
    const committedSize = this.state.latestHeadSize
    if (committedSize !== undefined) best = this.state.heads.get(committedSize)
    for (const head of this.heads.values()) if (!best || head.treeSize > best.treeSize) best = head
    return best ? copyHead(best) : undefined
  }

  leavesByHash(id: string, hashes: readonly Uint8Array[]): LogLeaf[] {
    const found: LogLeaf[] = []
    const target = this.log.trees.get(id)
    for (const hash of hashes) {
      const index = target?.leafIndexByHash.get(hex(hash))
      if (index !== undefined) found.push(copyLeaf(target!.leaves[index]!))
      else if (id === this.treeId) {
        const staged = this.leaves.find((leaf) => bytesEqual(leaf.leafHash, hash))
        if (staged) found.push(copyLeaf(staged))
      }
    }
    return found
  }

  appendLeaves(leaves: Parameters<LogWriteTransaction['appendLeaves']>[0]): void {
    this.assertActive()
    const { treeId, state } = this
    const values = normalizeLogLeaves(treeId, leaves)
    checkLeafBatch(treeId, state.leaves.length + this.leaves.length, values)
    for (const leaf of values) {
      const key = hex(leaf.leafHash)
      if (state.leafIndexByHash.has(key) || this.hashes.has(key))
        throw logErrors.duplicateLeaf(treeId, leaf.leafHash)
    }
    for (const leaf of values) {
      this.leaves.push(leaf)
      this.hashes.add(hex(leaf.leafHash))
    }
  }

  putNodes(id: string, nodes: Parameters<LogWriteTransaction['putNodes']>[1]): void {
    this.assertActive()
    const { treeId, state } = this
    const values = dedupeNodes(treeId, normalizeLogNodes(treeId, id, nodes))
    for (const node of values) {
      const key = nodeKey(node.level, node.index)
      const existing = this.nodes.get(key) ?? state.nodes.get(key)
      if (existing && !bytesEqual(existing, node.hash))
        throw logErrors.nodeMismatch(treeId, node.level, node.index)
    }
    for (const node of values) this.nodes.set(nodeKey(node.level, node.index), node.hash)
  }

  getTree(id: string): LogTree | undefined {
    if (this.rotation && id === this.rotation.next.treeId) return copyTree(this.rotation.next)
    const target = this.log.trees.get(id)
    if (!target) return undefined
    if (id === this.treeId && this.rotation) {
      return copyTree({ ...target.tree, active: false, frozenAt: this.rotation.frozenAt })
    }
    return copyTree(target.tree)
  }

  /** Applies everything staged, synchronously, so no reader can observe half of it. */
  commit(): void {
    const { treeId, state, log } = this
    // The rotation is checked again before anything is applied: nothing else can rotate this tree while we
    // hold its lock, but a createTree may have taken the next id or activated a tree meanwhile.
    const rotation = this.rotation
      ? log.checkRotation(treeId, this.rotation.frozenAt, this.rotation.next)
      : undefined
    if (rotation) log.applyRotation(rotation)
    for (const leaf of this.leaves) {
      state.leafIndexByHash.set(hex(leaf.leafHash), leaf.leafIndex)
      state.leaves.push(leaf)
      for (const key of leaf.searchKeys) {
        const hits = log.searchIndex.get(key) ?? []
        hits.push({ treeId, leafIndex: leaf.leafIndex })
        log.searchIndex.set(key, hits)
      }
    }
    for (const [key, hash] of this.nodes) state.nodes.set(key, hash)
    for (const [size, head] of this.heads) {
      state.heads.set(size, head)
      if (state.latestHeadSize === undefined || size > state.latestHeadSize) state.latestHeadSize = size
    }
  }
}

/**
 * In-memory LogStorage. Writes inside `withTreeLock` are staged ({@link StagedTransaction}) and applied
 * synchronously on success, so a throwing callback leaves no trace — the same all-or-nothing contract as a
 * database transaction.
 */
/** The in-memory log storage, plus dropping search-index rows (for `forgetRecordedMarks`). */
export type MemoryLogStorage = LogStorage & {
  dropSearchKey(key: string, drop: (hit: { treeId: string; leafIndex: number }) => boolean): number
}

export function createMemoryLogStorage(guard: ClosedGuard): MemoryLogStorage {
  const log = new MemoryTrees()
  const mutex = new KeyedMutex()
  const storage: MemoryLogStorage = {
    dropSearchKey(key, drop) {
      const hits = log.searchIndex.get(key) ?? []
      const kept = hits.filter((hit) => !drop(hit))
      log.searchIndex.set(key, kept)
      return hits.length - kept.length
    },

    async createTree(tree) {
      guard.assertOpen()
      const value = normalizeLogTree(tree)
      if (log.trees.has(value.treeId)) throw logErrors.treeExists(value.treeId)
      if (value.active && log.active()) throw logErrors.activeTreeExists()
      log.add(value)
    },

    async rotateTree(treeId, frozenAt, nextTree) {
      guard.assertOpen()
      const rotation = log.checkRotation(treeId, frozenAt, nextTree)
      // Under the old tree's lock, so a writer that is between its checks and its commit finishes first.
      await mutex.run(String(treeId), async () => {
        guard.assertOpen()
        log.applyRotation(log.checkRotation(treeId, rotation.frozenTime, rotation.next))
      })
    },

    async listTrees() {
      guard.assertOpen()
      return [...log.trees.values()].map((state) => copyTree(state.tree))
    },

    async withTreeLock(treeId, fn) {
      guard.assertOpen()
      if (!isValidTreeId(treeId) || !log.trees.has(treeId)) throw logErrors.treeNotFound(String(treeId))
      return mutex.run(treeId, async () => {
        guard.assertOpen()
        const staged = new StagedTransaction(log, storage, guard, treeId, log.trees.get(treeId)!)
        try {
          const result = await fn(staged.view())
          guard.assertOpen()
          staged.commit()
          return result
        } finally {
          staged.finished = true
        }
      })
    },

    async getLeafCount(treeId) {
      guard.assertOpen()
      return log.trees.get(treeId)?.leaves.length ?? 0
    },

    async getLeafByIndex(treeId, leafIndex) {
      guard.assertOpen()
      assertIndex('leafIndex', leafIndex)
      const leaf = log.trees.get(treeId)?.leaves[leafIndex]
      return leaf ? copyLeaf(leaf) : undefined
    },

    async getLeafByHash(treeId, leafHash) {
      guard.assertOpen()
      const state = log.trees.get(treeId)
      const index = leafHash instanceof Uint8Array ? state?.leafIndexByHash.get(hex(leafHash)) : undefined
      return index === undefined ? undefined : copyLeaf(state!.leaves[index]!)
    },

    async getLeafHashes(treeId, start, end) {
      guard.assertOpen()
      assertIndex('start', start)
      assertIndex('end', end)
      if (start > end) throw logErrors.invalidRange(start, end)
      const leaves = log.trees.get(treeId)?.leaves ?? []
      if (end > leaves.length) throw logErrors.leafRangeNotFound(String(treeId), start, end)
      return leaves.slice(start, end).map((leaf) => copyBytes(leaf.leafHash))
    },

    async findLeavesBySearchKey(key, limit) {
      guard.assertOpen()
      const max = resolveSearchLimit(limit)
      const hits = log.searchIndex.get(key) ?? []
      const order = (treeId: string) => log.trees.get(treeId)!
      return [...hits]
        .sort((a, b) => {
          const ta = order(a.treeId)
          const tb = order(b.treeId)
          return ta.tree.startIndex - tb.tree.startIndex || ta.seq - tb.seq || a.leafIndex - b.leafIndex
        })
        .slice(0, max)
        .map((hit) => ({ ...hit }))
    },

    async getNodes(treeId, keys) {
      guard.assertOpen()
      return log.readNodes(log.trees.get(treeId), keys)
    },

    async getLatestTreeHead(treeId) {
      guard.assertOpen()
      const state = log.trees.get(treeId)
      if (!state || state.latestHeadSize === undefined) return undefined
      return copyHead(state.heads.get(state.latestHeadSize)!)
    },

    async getTreeHead(treeId, treeSize) {
      guard.assertOpen()
      assertIndex('treeSize', treeSize)
      const head = log.trees.get(treeId)?.heads.get(treeSize)
      return head ? copyHead(head) : undefined
    },
  }
  return storage
}
