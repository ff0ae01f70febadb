import { rename } from 'node:fs/promises'
import type { LogTree } from '@certus-trust/storage'
import { fail } from './errors.js'
import {
  generateLogKey,
  type LogKeyAlgorithm,
  type LogKeyPair,
  resolveLogKey,
  savePrivateKey,
} from './log-key.js'
import {
  assertOpen,
  ensureInitialHead,
  type LogState,
  newTree,
  refreshShards,
  rotatedElsewhere,
  shardInfo,
} from './log-state.js'
import type { LogShardInfo, RotateKeyOptions } from './log-types.js'
import { read, storageFailed, toShard } from './shard.js'

/**
 * Freezes the active shard and starts a new one with a new key and tree ID, serialised with batches. The new key
 * is saved as `<keyPath>.next` before the storage switch and renamed after it, so a crash in between is
 * recoverable at the next start.
 */
export async function rotateKey(state: LogState, options: RotateKeyOptions): Promise<LogShardInfo> {
  assertOpen(state)
  return state.serial.run(async () => {
    assertOpen(state)
    const nextKey =
      options.key === undefined
        ? generateLogKey(options.algorithm ?? (state.active.key.algorithm as LogKeyAlgorithm))
        : (await resolveLogKey(options.key)).key
    const frozenAt = state.now()
    const probe = newTree(state, nextKey, 0, frozenAt)
    if (state.shards.some((shard) => shard.tree.treeId === probe.treeId))
      fail('TLOG_KEY_INVALID', 'the new key was already used by a shard of this log')
    if (state.keyPath) await savePrivateKey(`${state.keyPath}.next`, nextKey, false)
    const tree = await switchShards(state, nextKey, frozenAt)
    if (state.keyPath) await rename(`${state.keyPath}.next`, state.keyPath)
    await ensureInitialHead(state, tree, nextKey)
    await refreshShards(state)
    const old = state.active.shard
    const shard = state.shards.find((candidate) => candidate.tree.treeId === tree.treeId) ?? toShard(tree)
    state.active = { shard, key: nextKey }
    state.logger.info(
      { frozenTreeId: old.tree.treeId, treeId: tree.treeId, startIndex: tree.startIndex },
      'tlog key rotated',
    )
    return shardInfo(shard.tree)
  })
}

/** Freezes the old shard and stores the new one; returns the new tree. */
async function switchShards(state: LogState, nextKey: LogKeyPair, frozenAt: Date): Promise<LogTree> {
  const old = state.active.shard
  const nextTree = (treeSize: number) => newTree(state, nextKey, old.tree.startIndex + treeSize, frozenAt)
  let tree: LogTree
  let rotatedInLock = false
  try {
    tree = await state.storage.withTreeLock(old.tree.treeId, async (tx) => {
      if (tx.getTree && !(await tx.getTree(old.tree.treeId))?.active) throw rotatedElsewhere(old.tree.treeId)
      // The size is read under the old tree's lock and the rotation commits before the lock is released,
      // so the frozen shard's final checkpoint is its last head and the new shard starts right after it.
      const head = await tx.getLatestTreeHead(old.tree.treeId)
      if (!head)
        return fail('TLOG_INCONSISTENT', 'the shard has no signed tree head', { treeId: old.tree.treeId })
      const next = nextTree(head.treeSize)
      if (tx.rotateTree) {
        await tx.rotateTree(frozenAt, next)
        rotatedInLock = true
      }
      return next
    })
  } catch (error) {
    // The `.next` key file stays: if the commit went through after all, the next start adopts it.
    return storageFailed(error, 'rotating the shard')
  }
  // A storage without `tx.rotateTree` rotates after the lock (a batch committed in between is not caught).
  if (!rotatedInLock) {
    await read('rotating the shard', () => state.storage.rotateTree(old.tree.treeId, frozenAt, tree))
  }
  return tree
}
