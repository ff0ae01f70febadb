import { createPublicKey, type KeyObject } from 'node:crypto'
import { toHex } from '@certus-trust/core'
import type { LogStorage, LogTree, LogTreeHead } from '@certus-trust/storage'
import { fail, TlogError } from './errors.js'
import {
  consistencySegments,
  hashSegments,
  inclusionSegments,
  type NodeLookup,
  nodeKey,
  nodesForSegments,
  type Segment,
} from './merkle-tree.js'

const MAX_TREE_ID = (1n << 63n) - 1n

/**
 * Tree ID derived from the log ID (first 63 bits of SHA-256(SPKI)): deterministic, so processes that start together
 * on an empty database with the same key agree on one shard instead of racing to create two.
 */
export function treeIdFromLogId(logId: string): string {
  const value = BigInt(`0x${logId.slice(0, 16)}`) & MAX_TREE_ID
  return (value === 0n ? 1n : value).toString()
}

/** Rekor's 16-hex-digit tree ID prefix of entry IDs. */
export function treeIdHex(treeId: string): string {
  return BigInt(treeId).toString(16).padStart(16, '0')
}

/** A shard as the log keeps it in memory. */
export interface Shard {
  tree: LogTree
  publicKey: KeyObject
  /** 16 hex digits. */
  idHex: string
}

/** Builds a shard view of a stored tree. */
export function toShard(tree: LogTree): Shard {
  return { tree, publicKey: createPublicKey(tree.publicKeyPem), idHex: treeIdHex(tree.treeId) }
}

/** Wraps a storage failure once, at the boundary. */
export function storageFailed(error: unknown, what: string): never {
  if (TlogError.is(error)) throw error
  return fail('TLOG_STORAGE_FAILED', `storage failed while ${what}`, undefined, error)
}

/** Runs a storage read, wrapping failures. */
export async function read<T>(what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    return storageFailed(error, what)
  }
}

/**
 * Fetches the perfect-subtree hashes the segments need: levels ≥ 1 in one `getNodes` call, level 0 (leaf hashes)
 * from the leaves table. O(log n) reads, whatever the tree size.
 */
export async function fetchSegmentNodes(
  storage: LogStorage,
  treeId: string,
  segments: readonly Segment[],
): Promise<NodeLookup> {
  const positions = nodesForSegments(segments)
  const inner = positions.filter((position) => position.level > 0)
  const leaves = positions.filter((position) => position.level === 0)
  const [nodes, leafHashes] = await Promise.all([
    inner.length > 0
      ? read('reading tree nodes', () => storage.getNodes(treeId, inner))
      : new Map<string, Uint8Array>(),
    Promise.all(
      leaves.map((leaf) =>
        read('reading leaf hashes', () => storage.getLeafHashes(treeId, leaf.index, leaf.index + 1)),
      ),
    ),
  ])
  const map = new Map(nodes)
  leaves.forEach((leaf, position) => {
    const hash = leafHashes[position]?.[0]
    if (hash) map.set(nodeKey(0, leaf.index), hash)
  })
  return (level, index) => map.get(nodeKey(level, index))
}

function computeOrInconsistent(segments: readonly Segment[], lookup: NodeLookup, treeId: string): string[] {
  try {
    return hashSegments(segments, lookup).map(toHex)
  } catch (error) {
    return fail(
      'TLOG_INCONSISTENT',
      'a tree node needed for a proof is missing from storage',
      { treeId },
      error,
    )
  }
}

/** Inclusion proof hashes (hex, leaf to root) for `leafIndex` in the tree of `treeSize` leaves. */
export async function inclusionProofFromStorage(
  storage: LogStorage,
  treeId: string,
  leafIndex: number,
  treeSize: number,
): Promise<string[]> {
  const segments = inclusionSegments(leafIndex, treeSize)
  return computeOrInconsistent(segments, await fetchSegmentNodes(storage, treeId, segments), treeId)
}

/** Consistency proof hashes (hex) from `oldSize` to `newSize`. */
export async function consistencyProofFromStorage(
  storage: LogStorage,
  treeId: string,
  oldSize: number,
  newSize: number,
): Promise<string[]> {
  const segments = consistencySegments(oldSize, newSize)
  return computeOrInconsistent(segments, await fetchSegmentNodes(storage, treeId, segments), treeId)
}

/** The latest head of a tree. @throws `TLOG_INCONSISTENT` when a tree has no head at all. */
export async function latestHead(storage: LogStorage, treeId: string): Promise<LogTreeHead> {
  const head = await read('reading the tree head', () => storage.getLatestTreeHead(treeId))
  if (!head) return fail('TLOG_INCONSISTENT', 'the shard has no signed tree head', { treeId })
  return head
}
