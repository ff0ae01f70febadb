import type { LogLeaf, LogStorage, LogTree, LogTreeHead, LogWriteTransaction } from './log-storage.js'
import {
  assertIndex,
  assertNodeKeys,
  bytesEqual,
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
import { KeyedMutex } from './mutex.js'

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

/**
 * In-memory LogStorage. Writes inside `withTreeLock` are staged and applied synchronously on success,
 * so a throwing callback leaves no trace — the same all-or-nothing contract as a database transaction.
 */
export function createMemoryLogStorage(guard: ClosedGuard): LogStorage {
  const trees = new Map<string, TreeState>()
  const searchIndex = new Map<string, Array<{ treeId: string; leafIndex: number }>>()
  const mutex = new KeyedMutex()
  let nextSeq = 0

  const addTree = (tree: LogTree) => {
    trees.set(tree.treeId, {
      tree,
      seq: nextSeq++,
      leaves: [],
      leafIndexByHash: new Map(),
      nodes: new Map(),
      heads: new Map(),
      latestHeadSize: undefined,
    })
  }

  const activeTree = () => [...trees.values()].find((state) => state.tree.active)

  const readNodes = (
    state: TreeState | undefined,
    keys: ReadonlyArray<{ level: number; index: number }>,
    staged?: Map<string, Uint8Array>,
  ) => {
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

  const checkRotation = (treeId: string, frozenAt: Date, nextTree: LogTree) => {
    const next = normalizeLogTree({ ...nextTree, active: true, frozenAt: undefined })
    const frozenTime = normalizeDate('frozenAt', frozenAt)
    const current = trees.get(treeId)
    if (!current) throw logErrors.treeNotFound(String(treeId))
    if (current.tree.frozenAt !== undefined) throw logErrors.treeFrozen(treeId)
    if (trees.has(next.treeId)) throw logErrors.treeExists(next.treeId)
    const otherActive = activeTree()
    if (otherActive && otherActive.tree.treeId !== treeId) throw logErrors.activeTreeExists()
    return { current, next, frozenTime }
  }

  const applyRotation = ({ current, next, frozenTime }: ReturnType<typeof checkRotation>) => {
    current.tree = { ...current.tree, active: false, frozenAt: frozenTime }
    addTree(next)
  }

  const storage: LogStorage = {
    async createTree(tree) {
      guard.assertOpen()
      const value = normalizeLogTree(tree)
      if (trees.has(value.treeId)) throw logErrors.treeExists(value.treeId)
      if (value.active && activeTree()) throw logErrors.activeTreeExists()
      addTree(value)
    },

    async rotateTree(treeId, frozenAt, nextTree) {
      guard.assertOpen()
      const rotation = checkRotation(treeId, frozenAt, nextTree)
      // Under the old tree's lock, so a writer that is between its checks and its commit finishes first.
      await mutex.run(String(treeId), async () => {
        guard.assertOpen()
        applyRotation(checkRotation(treeId, rotation.frozenTime, rotation.next))
      })
    },

    async listTrees() {
      guard.assertOpen()
      return [...trees.values()].map((state) => copyTree(state.tree))
    },

    async withTreeLock(treeId, fn) {
      guard.assertOpen()
      if (!isValidTreeId(treeId) || !trees.has(treeId)) throw logErrors.treeNotFound(String(treeId))
      return mutex.run(treeId, async () => {
        guard.assertOpen()
        const state = trees.get(treeId)!
        const stagedLeaves: LogLeaf[] = []
        const stagedHashes = new Set<string>()
        const stagedNodes = new Map<string, Uint8Array>()
        const stagedHeads = new Map<number, LogTreeHead>()
        let stagedRotation: { frozenAt: Date; next: LogTree } | undefined
        let finished = false
        const assertActive = () => {
          if (finished) throw logErrors.transactionFinished()
          guard.assertOpen()
        }
        const tx: LogWriteTransaction = {
          async getLeafCount(id) {
            assertActive()
            return id === treeId ? state.leaves.length + stagedLeaves.length : storage.getLeafCount(id)
          },
          async getLatestTreeHead(id) {
            assertActive()
            if (id !== treeId) return storage.getLatestTreeHead(id)
            let best: LogTreeHead | undefined
            const committedSize = state.latestHeadSize
            if (committedSize !== undefined) best = state.heads.get(committedSize)
            for (const head of stagedHeads.values()) if (!best || head.treeSize > best.treeSize) best = head
            return best ? copyHead(best) : undefined
          },
          async getNodes(id, keys) {
            assertActive()
            return id === treeId ? readNodes(state, keys, stagedNodes) : storage.getNodes(id, keys)
          },
          async getLeavesByHash(id, hashes) {
            assertActive()
            const found: LogLeaf[] = []
            const target = trees.get(id)
            for (const hash of hashes) {
              const index = target?.leafIndexByHash.get(hex(hash))
              if (index !== undefined) found.push(copyLeaf(target!.leaves[index]!))
              else if (id === treeId) {
                const staged = stagedLeaves.find((leaf) => bytesEqual(leaf.leafHash, hash))
                if (staged) found.push(copyLeaf(staged))
              }
            }
            return found
          },
          async appendLeaves(leaves) {
            assertActive()
            const values = normalizeLogLeaves(treeId, leaves)
            checkLeafBatch(treeId, state.leaves.length + stagedLeaves.length, values)
            for (const leaf of values) {
              const key = hex(leaf.leafHash)
              if (state.leafIndexByHash.has(key) || stagedHashes.has(key))
                throw logErrors.duplicateLeaf(treeId, leaf.leafHash)
            }
            for (const leaf of values) {
              stagedLeaves.push(leaf)
              stagedHashes.add(hex(leaf.leafHash))
            }
          },
          async putNodes(id, nodes) {
            assertActive()
            const values = dedupeNodes(treeId, normalizeLogNodes(treeId, id, nodes))
            for (const node of values) {
              const key = nodeKey(node.level, node.index)
              const existing = stagedNodes.get(key) ?? state.nodes.get(key)
              if (existing && !bytesEqual(existing, node.hash))
                throw logErrors.nodeMismatch(treeId, node.level, node.index)
            }
            for (const node of values) stagedNodes.set(nodeKey(node.level, node.index), node.hash)
          },
          async putTreeHead(head) {
            assertActive()
            const value = normalizeLogTreeHead(treeId, head)
            if (state.heads.has(value.treeSize) || stagedHeads.has(value.treeSize)) {
              throw logErrors.duplicateTreeHead(treeId, value.treeSize)
            }
            stagedHeads.set(value.treeSize, value)
          },
          async getTree(id) {
            assertActive()
            if (stagedRotation && id === stagedRotation.next.treeId) return copyTree(stagedRotation.next)
            const target = trees.get(id)
            if (!target) return undefined
            if (id === treeId && stagedRotation) {
              return copyTree({ ...target.tree, active: false, frozenAt: stagedRotation.frozenAt })
            }
            return copyTree(target.tree)
          },
          async rotateTree(frozenAt, nextTree) {
            assertActive()
            if (stagedRotation) throw logErrors.treeFrozen(treeId)
            const { next, frozenTime } = checkRotation(treeId, frozenAt, nextTree)
            stagedRotation = { frozenAt: frozenTime, next }
          },
        }
        try {
          const result = await fn(tx)
          guard.assertOpen()
          // The rotation is checked again before anything is applied: nothing else can rotate this tree while we
          // hold its lock, but a createTree may have taken the next id or activated a tree meanwhile.
          const rotation = stagedRotation
            ? checkRotation(treeId, stagedRotation.frozenAt, stagedRotation.next)
            : undefined
          // Commit: synchronous, so no reader can observe half of it.
          if (rotation) applyRotation(rotation)
          for (const leaf of stagedLeaves) {
            state.leafIndexByHash.set(hex(leaf.leafHash), leaf.leafIndex)
            state.leaves.push(leaf)
            for (const key of leaf.searchKeys) {
              const hits = searchIndex.get(key) ?? []
              hits.push({ treeId, leafIndex: leaf.leafIndex })
              searchIndex.set(key, hits)
            }
          }
          for (const [key, hash] of stagedNodes) state.nodes.set(key, hash)
          for (const [size, head] of stagedHeads) {
            state.heads.set(size, head)
            if (state.latestHeadSize === undefined || size > state.latestHeadSize) state.latestHeadSize = size
          }
          return result
        } finally {
          finished = true
        }
      })
    },

    async getLeafCount(treeId) {
      guard.assertOpen()
      return trees.get(treeId)?.leaves.length ?? 0
    },

    async getLeafByIndex(treeId, leafIndex) {
      guard.assertOpen()
      assertIndex('leafIndex', leafIndex)
      const leaf = trees.get(treeId)?.leaves[leafIndex]
      return leaf ? copyLeaf(leaf) : undefined
    },

    async getLeafByHash(treeId, leafHash) {
      guard.assertOpen()
      const state = trees.get(treeId)
      const index = leafHash instanceof Uint8Array ? state?.leafIndexByHash.get(hex(leafHash)) : undefined
      return index === undefined ? undefined : copyLeaf(state!.leaves[index]!)
    },

    async getLeafHashes(treeId, start, end) {
      guard.assertOpen()
      assertIndex('start', start)
      assertIndex('end', end)
      if (start > end) throw logErrors.invalidRange(start, end)
      const leaves = trees.get(treeId)?.leaves ?? []
      if (end > leaves.length) throw logErrors.leafRangeNotFound(String(treeId), start, end)
      return leaves.slice(start, end).map((leaf) => copyBytes(leaf.leafHash))
    },

    async findLeavesBySearchKey(key, limit) {
      guard.assertOpen()
      const max = resolveSearchLimit(limit)
      const hits = searchIndex.get(key) ?? []
      const order = (treeId: string) => trees.get(treeId)!
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
      return readNodes(trees.get(treeId), keys)
    },

    async getLatestTreeHead(treeId) {
      guard.assertOpen()
      const state = trees.get(treeId)
      if (!state || state.latestHeadSize === undefined) return undefined
      return copyHead(state.heads.get(state.latestHeadSize)!)
    },

    async getTreeHead(treeId, treeSize) {
      guard.assertOpen()
      assertIndex('treeSize', treeSize)
      const head = trees.get(treeId)?.heads.get(treeSize)
      return head ? copyHead(head) : undefined
    },
  }
  return storage
}
