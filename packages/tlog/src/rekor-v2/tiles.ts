import { TILE_WIDTH } from '@certus-trust/log-protocol'
import { fail } from '../errors.js'
import { assertOpen, type LogState } from '../log-state.js'
import { latestHead, read } from '../shard.js'

/** Highest tile level served: level 6 tiles cover 2^56 leaves, beyond any safe integer index. */
export const MAX_TILE_LEVEL = 6

function checkRange(value: number, name: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    fail('TLOG_INVALID_REQUEST', `${name} must be an integer from ${min} to ${max}`, { [name]: value })
}

/** Leaves [start, end) of the active shard exist only once the latest head covers `end` leaves. */
async function treeSize(state: LogState): Promise<number> {
  assertOpen(state)
  return (await latestHead(state.storage, state.active.shard.tree.treeId)).treeSize
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/**
 * Hash tile `index` at tile level `level` with `width` hashes: the nodes at Merkle level 8·level, indices
 * index·256 … index·256+width−1. Level 0 hashes are leaf hashes; higher ones are the stored perfect-subtree nodes
 * (every node a batch completes is stored, so a tile never needs recomputing).
 */
export async function readTile(
  state: LogState,
  level: number,
  index: number,
  width: number,
): Promise<Uint8Array | undefined> {
  checkRange(level, 'level', 0, MAX_TILE_LEVEL)
  checkRange(index, 'index', 0, Number.MAX_SAFE_INTEGER)
  checkRange(width, 'width', 1, TILE_WIDTH)
  const size = await treeSize(state)
  const treeId = state.active.shard.tree.treeId
  const first = index * TILE_WIDTH
  // Nodes at Merkle level 8·level that are complete in a tree of `size` leaves.
  const available = Math.floor(size / 2 ** (8 * level))
  if (first + width > available) return undefined
  if (level === 0) {
    const hashes = await read('reading leaf hashes', () =>
      state.storage.getLeafHashes(treeId, first, first + width),
    )
    return hashes.length === width ? concat(hashes) : missing(treeId)
  }
  const positions = Array.from({ length: width }, (_, offset) => ({
    level: 8 * level,
    index: first + offset,
  }))
  const nodes = await read('reading tree nodes', () => state.storage.getNodes(treeId, positions))
  const hashes = positions.map((position) => nodes.get(`${position.level}:${position.index}`))
  return hashes.every((hash) => hash !== undefined) ? concat(hashes as Uint8Array[]) : missing(treeId)
}

function missing(treeId: string): never {
  return fail('TLOG_INCONSISTENT', 'a tree node needed for a tile is missing from storage', { treeId })
}

/** Entry bundle `index` with `width` entries: each a big-endian uint16 length, then the canonical body. */
export async function readEntryBundle(
  state: LogState,
  index: number,
  width: number,
): Promise<Uint8Array | undefined> {
  checkRange(index, 'index', 0, Number.MAX_SAFE_INTEGER)
  checkRange(width, 'width', 1, TILE_WIDTH)
  const size = await treeSize(state)
  const treeId = state.active.shard.tree.treeId
  const first = index * TILE_WIDTH
  if (first + width > size) return undefined
  const leaves = await Promise.all(
    Array.from({ length: width }, (_, offset) =>
      read('reading a leaf', () => state.storage.getLeafByIndex(treeId, first + offset)),
    ),
  )
  const parts: Uint8Array[] = []
  for (const leaf of leaves) {
    if (!leaf) return missing(treeId)
    if (leaf.body.length > 0xffff)
      fail('TLOG_INCONSISTENT', 'an entry is too long for an entry bundle', {
        treeId,
        leafIndex: leaf.leafIndex,
      })
    parts.push(new Uint8Array([leaf.body.length >> 8, leaf.body.length & 0xff]), leaf.body)
  }
  return concat(parts)
}

/** The latest signed checkpoint of the active shard. */
export async function readCheckpoint(state: LogState): Promise<string> {
  assertOpen(state)
  return (await latestHead(state.storage, state.active.shard.tree.treeId)).checkpoint
}
