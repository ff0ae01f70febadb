import { bytesEqual, toBase64, toHex } from '@certus-trust/core'
import { type LogEntry, signedEntryTimestampPayload } from '@certus-trust/log-protocol'
import type { LogLeaf, LogNode, LogTreeHead, LogWriteTransaction } from '@certus-trust/storage'
import type { BatchResult } from './batcher.js'
import { fail, TlogError } from './errors.js'
import { signWithLogKey } from './log-signature.js'
import {
  type ActiveState,
  conflict,
  type LogState,
  type QueuedEntry,
  rotatedElsewhere,
  signHead,
  toLogEntry,
} from './log-state.js'
import { CompactRange, type HashedNode, hashSegments, inclusionSegments, nodeKey } from './merkle-tree.js'
import type { Shard } from './shard.js'

/** What one batch wrote: the ranges before and after, the nodes it created, its leaves and head. */
interface CommittedBatch {
  previous: CompactRange
  next: CompactRange
  created: HashedNode[]
  leaves: LogLeaf[]
  head: LogTreeHead
  /** Positions (in the batch) of the accepted entries, in leaf order. */
  positions: number[]
}

type Results = Array<BatchResult<LogEntry> | undefined>

/**
 * The write path: one transaction, one tree update and one checkpoint per batch. Entries that were aborted or
 * already logged get their error; the rest are appended and answered with their inclusion proof and SET.
 * A storage failure fails the whole batch (nothing of it was logged).
 */
export async function appendBatch(
  state: LogState,
  items: QueuedEntry[],
): Promise<Array<BatchResult<LogEntry>>> {
  const active = state.active
  const treeId = active.shard.tree.treeId
  const results: Results = new Array(items.length)
  let committed: CommittedBatch | undefined
  try {
    await checkNotRotated(state, treeId)
    committed = await state.storage.withTreeLock(treeId, (tx) =>
      commitBatch(state, active, tx, items, results),
    )
  } catch (error) {
    active.cache = undefined
    state.logger.error(
      { treeId, batchSize: items.length, code: TlogError.is(error) ? error.code : undefined },
      'tlog batch failed',
    )
    const wrapped = TlogError.is(error)
      ? error
      : new TlogError({
          code: 'TLOG_STORAGE_FAILED',
          message: 'storage failed while appending entries; they were not logged',
          cause: error,
        })
    return items.map(() => ({ ok: false, error: wrapped }))
  }
  if (committed) answerCommitted(state, active, committed, results)
  return results.map((result) => result ?? { ok: false, error: new Error('entry was not processed') })
}

/** Another process may have rotated the key: then this process must not append to the frozen shard. */
async function checkNotRotated(state: LogState, treeId: string): Promise<void> {
  if (state.treeReadsUnderLock) return
  // Until a transaction showed the storage has `tx.getTree` (never, for one without it): checked before taking the
  // lock (a storage read inside it could wait for a pool connection the lock holder needs). A rotation committing
  // after this check is caught by the check under the lock, if the storage has one.
  const stored = (await state.storage.listTrees()).find((tree) => tree.treeId === treeId)
  if (!stored?.active) throw rotatedElsewhere(treeId)
}

async function commitBatch(
  state: LogState,
  active: ActiveState,
  tx: LogWriteTransaction,
  items: QueuedEntry[],
  results: Results,
): Promise<CommittedBatch | undefined> {
  const { shard } = active
  const treeId = shard.tree.treeId
  // Under the lock, through the transaction: rotations take this same lock, so a tree seen active here stays
  // active until this batch commits, and a batch that waited for a rotation's lock sees the tree frozen.
  if (tx.getTree) {
    state.treeReadsUnderLock = true
    if (!(await tx.getTree(treeId))?.active) throw rotatedElsewhere(treeId)
  }
  const head = await tx.getLatestTreeHead(treeId)
  const size = head?.treeSize ?? 0
  const cached = active.cache
  // Another process may have appended since our last batch: then reread the O(log n) compact range.
  const previous =
    cached && cached.range.size === size && head && bytesEqual(cached.root, head.rootHash)
      ? cached.range
      : await loadRange(tx, treeId, head)
  const accepted = await acceptNew(shard, tx, items, results)
  if (accepted.length === 0) return undefined
  const integratedTime = Math.floor(state.now().getTime() / 1000)
  const { range: next, created } = previous.append(
    accepted.map((position) => items[position]!.entry.leafHash),
  )
  // The SETs are signed here, inside the lock, without waiting for another thread: a round trip per batch held the
  // lock longer and cost more than it saved (ADR 0014); presignatures made ahead on the signing threads, when there
  // are any, leave this thread two multiplications per SET.
  const leaves = accepted.map((position, offset) =>
    toLeaf(state, active, items[position]!, size + offset, integratedTime),
  )
  const rootHash = next.root()
  const newHead: LogTreeHead = {
    treeId,
    treeSize: next.size,
    rootHash,
    checkpoint: signHead(state, shard.tree, active.key, next.size, rootHash),
    createdAt: state.now(),
  }
  await tx.appendLeaves(leaves)
  const nodes = nodesToStore(created, next)
  if (nodes.length > 0) await tx.putNodes(treeId, nodes)
  await tx.putTreeHead(newHead)
  return { previous, next, created, leaves, head: newHead, positions: accepted }
}

/**
 * Positions of the entries to append: not aborted, not already in the shard, not a duplicate inside the batch.
 * The others get their error in `results`.
 */
async function acceptNew(
  shard: Shard,
  tx: LogWriteTransaction,
  items: QueuedEntry[],
  results: Results,
): Promise<number[]> {
  const treeId = shard.tree.treeId
  const existing = await tx.getLeavesByHash(
    treeId,
    items.map((item) => item.entry.leafHash),
  )
  const existingByHash = new Map(existing.map((leaf) => [toHex(leaf.leafHash), leaf]))
  const seen = new Set<string>()
  const accepted: number[] = []
  items.forEach((item, position) => {
    const hex = toHex(item.entry.leafHash)
    const stored = existingByHash.get(hex)
    if (item.signal?.aborted) {
      results[position] = {
        ok: false,
        error: new TlogError({
          code: 'TLOG_ABORTED',
          message: 'the request was aborted before the entry was committed',
          cause: item.signal.reason,
        }),
      }
    } else if (stored) {
      results[position] = {
        ok: false,
        error: conflict(shard, item.entry.leafHash, shard.tree.startIndex + stored.leafIndex),
      }
    } else if (seen.has(hex)) {
      results[position] = { ok: false, error: conflict(shard, item.entry.leafHash) }
    } else {
      seen.add(hex)
      accepted.push(position)
    }
  })
  return accepted
}

/** The stored leaf of an accepted entry, with its signed entry timestamp. */
function toLeaf(
  state: LogState,
  active: ActiveState,
  item: QueuedEntry,
  leafIndex: number,
  integratedTime: number,
): LogLeaf {
  const { tree } = active.shard
  const entry = item.entry
  // Rekor v2 issues no SET: its entries are timestamped by RFC 3161 TSAs instead.
  const signedEntryTimestamp =
    entry.apiVersion === '0.0.2'
      ? new Uint8Array(0)
      : signWithLogKey(
          active.key,
          signedEntryTimestampPayload({
            body: toBase64(entry.body),
            integratedTime,
            logID: tree.logId,
            logIndex: tree.startIndex + leafIndex,
          }),
          state.presignatures,
        )
  return {
    treeId: tree.treeId,
    leafIndex,
    leafHash: entry.leafHash,
    body: entry.body,
    integratedTime,
    signedEntryTimestamp,
    searchKeys: entry.searchKeys,
  }
}

/** The inner nodes the batch created, plus a trailing single leaf of the new compact range. */
function nodesToStore(created: HashedNode[], next: CompactRange): LogNode[] {
  const nodes: LogNode[] = created.filter((node) => node.level > 0)
  // A trailing single leaf is part of the compact range; storing it lets the next writer (maybe another
  // process) rebuild the range from nodes alone.
  const tail = next.pieces[next.pieces.length - 1]
  if (tail && tail.level === 0) nodes.push(tail)
  return nodes
}

/** The compact range of `head`, rebuilt from stored nodes and checked against its root. */
async function loadRange(
  tx: LogWriteTransaction,
  treeId: string,
  head: LogTreeHead | undefined,
): Promise<CompactRange> {
  const size = head?.treeSize ?? 0
  if (size === 0) return CompactRange.empty()
  const nodes = await tx.getNodes(treeId, CompactRange.positions(size))
  let range: CompactRange
  try {
    range = CompactRange.fromLookup(size, (level, index) => nodes.get(nodeKey(level, index)))
  } catch (error) {
    return fail(
      'TLOG_INCONSISTENT',
      'the compact range of the latest tree head is missing from storage',
      { treeId, size },
      error,
    )
  }
  if (!bytesEqual(range.root(), head!.rootHash)) {
    fail('TLOG_INCONSISTENT', 'stored nodes do not reproduce the latest root hash', { treeId, size })
  }
  return range
}

/** Caches the new range and answers every committed entry with its inclusion proof (no storage reads). */
function answerCommitted(
  state: LogState,
  active: ActiveState,
  committed: CommittedBatch,
  results: Results,
): void {
  active.cache = { range: committed.next, root: committed.head.rootHash }
  // Every node a new leaf's proof needs is in the old compact range or was created by this batch.
  const lookup = new Map<string, Uint8Array>()
  for (const node of committed.previous.pieces) lookup.set(nodeKey(node.level, node.index), node.hash)
  for (const node of committed.created) lookup.set(nodeKey(node.level, node.index), node.hash)
  committed.leaves.forEach((leaf, offset) => {
    const segments = inclusionSegments(leaf.leafIndex, committed.head.treeSize)
    const hashes = hashSegments(segments, (level, index) => lookup.get(nodeKey(level, index))).map(toHex)
    results[committed.positions[offset]!] = {
      ok: true,
      value: toLogEntry(active.shard, leaf, committed.head, hashes),
    }
  })
  state.logger.debug(
    {
      treeId: active.shard.tree.treeId,
      treeSize: committed.head.treeSize,
      appended: committed.leaves.length,
    },
    'tlog batch committed',
  )
}
