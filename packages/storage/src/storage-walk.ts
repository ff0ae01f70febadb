import type { LogLeaf, LogNode, LogStorage, LogTree, LogTreeHead } from './log-storage.js'
import { nodeKey } from './log-validation.js'
import type { RecordStorage, SignedArtifact, VerificationRecord } from './records.js'

/** Storage as `copyStorage` reads and writes it: the record and log parts, no lifecycle. */
export type CopyableStorage = RecordStorage & LogStorage

/** One slice of a tree: consecutive leaves, the perfect-subtree nodes they complete and the heads they reach. */
export interface TreeSlice {
  treeId: string
  /** Index of the first leaf of the slice (the leaves cover `[start, end)`). */
  start: number
  end: number
  leaves: LogLeaf[]
  /**
   * Stored nodes (level 0 too: a log may store a leaf hash as a node) whose last leaf lies in the slice, ordered by that leaf, then level: the order of
   * all nodes of a tree does not depend on where slices begin.
   */
  nodes: LogNode[]
  /** Recorded heads whose size lies in the slice (`start + 1 … end`; the first slice also size 0), by size. */
  heads: LogTreeHead[]
}

/** What a walk over a storage hands on, in a fixed order, so that two walks over equal stores see equal data. */
export interface StorageVisitor {
  signedArtifacts(items: SignedArtifact[]): Promise<void>
  verificationRecords(items: VerificationRecord[]): Promise<void>
  tree(tree: LogTree, leafCount: number): Promise<void>
  slice(slice: TreeSlice): Promise<void>
}

/**
 * Reads everything a storage holds through its public interface: signed artifacts and verification records
 * (newest first, page by page), then each tree (oldest first) in slices of `batchSize` leaves with their nodes
 * and heads. The interface has no listing of nodes or heads, so the walk asks for each position that can hold
 * one: heads exist only for sizes up to the leaf count, nodes only for perfect subtrees of stored leaves.
 */
export async function walkStorage(
  storage: CopyableStorage,
  visitor: StorageVisitor,
  batchSize: number,
): Promise<void> {
  const pageLimit = Math.min(batchSize, 1000)
  let cursor: string | undefined
  do {
    const page = await storage.listSignedArtifacts({ limit: pageLimit, ...(cursor ? { cursor } : {}) })
    await visitor.signedArtifacts(page.items)
    cursor = page.nextCursor
  } while (cursor)
  do {
    const page = await storage.listVerificationRecords({ limit: pageLimit, ...(cursor ? { cursor } : {}) })
    await visitor.verificationRecords(page.items)
    cursor = page.nextCursor
  } while (cursor)
  for (const tree of await storage.listTrees()) {
    const leafCount = await storage.getLeafCount(tree.treeId)
    await visitor.tree(tree, leafCount)
    // An empty tree still gets one (empty) slice, which carries a head of size 0 if one was recorded.
    for (let start = 0; start < leafCount || start === 0; start += batchSize) {
      const end = Math.min(leafCount, start + batchSize)
      await visitor.slice(await readSlice(storage, tree.treeId, start, end))
      if (end === leafCount) break
    }
  }
}

async function readSlice(
  storage: LogStorage,
  treeId: string,
  start: number,
  end: number,
): Promise<TreeSlice> {
  const leaves: LogLeaf[] = []
  for (let index = start; index < end; index++) {
    const leaf = await storage.getLeafByIndex(treeId, index)
    if (!leaf) throw new Error(`leaf ${index} of tree ${treeId} is missing below the leaf count`)
    leaves.push(leaf)
  }
  const heads: LogTreeHead[] = []
  for (let size = start === 0 ? 0 : start + 1; size <= end; size++) {
    const head = await storage.getTreeHead(treeId, size)
    if (head) heads.push(head)
  }
  return { treeId, start, end, leaves, nodes: await readNodes(storage, treeId, start, end), heads }
}

/**
 * Stored nodes completed by leaves `[start, end)`: at level L, indices ⌊start/2^L⌋ … ⌊end/2^L⌋ − 1. Level 0 is
 * asked for too: the embedded log stores the trailing leaf of a tree head's compact range as a node, and a
 * copy without it could not append.
 */
async function readNodes(
  storage: LogStorage,
  treeId: string,
  start: number,
  end: number,
): Promise<LogNode[]> {
  const keys: Array<{ level: number; index: number }> = []
  for (let level = 0, width = 1; width <= end; level++, width *= 2) {
    for (let index = Math.floor(start / width); index < Math.floor(end / width); index++) {
      keys.push({ level, index })
    }
  }
  const last = (key: { level: number; index: number }) => (key.index + 1) * 2 ** key.level
  keys.sort((a, b) => last(a) - last(b) || a.level - b.level)
  const nodes: LogNode[] = []
  // Bounded batches: a backend may turn one call into one statement with a parameter per key.
  for (let offset = 0; offset < keys.length; offset += 500) {
    const batch = keys.slice(offset, offset + 500)
    const found = await storage.getNodes(treeId, batch)
    for (const { level, index } of batch) {
      const hash = found.get(nodeKey(level, index))
      if (hash) nodes.push({ level, index, hash })
    }
  }
  return nodes
}
