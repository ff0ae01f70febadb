import { createPrivateKey, type KeyObject } from 'node:crypto'
import { readFile, rename } from 'node:fs/promises'
import { logIdFromPublicKey } from '@certus-trust/log-protocol'
import type { LogStorage } from '@certus-trust/storage'
import { fail } from './errors.js'
import { type LogKeyPair, toLogKeyPair } from './log-key.js'
import { type ActiveState, ensureInitialHead, type LogSettings, loadShards, newTree } from './log-state.js'
import { read, type Shard, storageFailed } from './shard.js'

/**
 * Opens the log's active shard, creating the first (or next) one when storage has none active, and checks that
 * `key` signs it — adopting a rotated key left as `<keyPath>.next` by a rotation that crashed before the rename.
 * @throws TlogError `TLOG_KEY_MISMATCH`, `TLOG_KEY_INVALID`, `TLOG_STORAGE_FAILED`
 */
export async function openActiveShard(
  settings: LogSettings,
  key: LogKeyPair,
  keyPath: string | undefined,
): Promise<{ shards: Shard[]; active: ActiveState }> {
  const { shards, activeShard } = await findOrCreateActiveShard(settings, key)
  let activeKey = key
  if (activeShard.tree.logId !== logIdFromPublicKey(key.publicKey)) {
    activeKey = await adoptPendingKey(keyPath, activeShard)
  }
  await ensureInitialHead(settings, activeShard.tree, activeKey)
  return { shards, active: { shard: activeShard, key: activeKey } }
}

async function findOrCreateActiveShard(
  settings: LogSettings,
  key: LogKeyPair,
): Promise<{ shards: Shard[]; activeShard: Shard }> {
  const { storage } = settings
  let shards = await loadShards(storage)
  const existing = shards.find((shard) => shard.tree.active)
  if (existing) return { shards, activeShard: existing }
  const tree = newTree(settings, key, await sumSizes(storage, shards), settings.now())
  try {
    await storage.createTree(tree)
  } catch (error) {
    // Two processes with the same key derive the same tree ID: whoever lost the race uses the winner's tree.
    shards = await loadShards(storage)
    if (!shards.some((shard) => shard.tree.active && shard.tree.logId === tree.logId))
      storageFailed(error, 'creating the first shard')
  }
  shards = await loadShards(storage)
  return { shards, activeShard: shards.find((shard) => shard.tree.active)! }
}

/** The global index the next shard starts at: the end of the furthest shard. */
async function sumSizes(storage: LogStorage, list: readonly Shard[]): Promise<number> {
  let total = 0
  for (const shard of list) {
    const head = await read('reading the tree head', () => storage.getLatestTreeHead(shard.tree.treeId))
    total = Math.max(total, shard.tree.startIndex + (head?.treeSize ?? 0))
  }
  return total
}

/** A rotation may have stored the new shard but crashed before moving the new key file into place. */
async function adoptPendingKey(keyPath: string | undefined, activeShard: Shard): Promise<LogKeyPair> {
  const pending = keyPath ? await readFile(`${keyPath}.next`, 'utf8').catch(() => undefined) : undefined
  const pendingKey = pending ? toLogKeyPair(createPrivateKeyOrThrow(pending)) : undefined
  if (keyPath && pendingKey && logIdFromPublicKey(pendingKey.publicKey) === activeShard.tree.logId) {
    await rename(`${keyPath}.next`, keyPath)
    return pendingKey
  }
  return fail(
    'TLOG_KEY_MISMATCH',
    'the log key does not match the active shard in storage; pass the key the log was created with',
    {
      activeTreeId: activeShard.tree.treeId,
      activeLogId: activeShard.tree.logId,
    },
  )
}

function createPrivateKeyOrThrow(pem: string): KeyObject {
  try {
    return createPrivateKey(pem)
  } catch (error) {
    return fail('TLOG_KEY_INVALID', 'the pending rotated key file is unreadable', undefined, error)
  }
}
