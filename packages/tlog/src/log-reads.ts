import { toHex } from '@certus-trust/core'
import type { LogEntry } from '@certus-trust/log-protocol'
import type { LogLeaf, LogTreeHead } from '@certus-trust/storage'
import { validateProposedEntry } from './entry-validation.js'
import { fail } from './errors.js'
import { assertOpen, checkSize, findShard, type LogState, refreshShards, toLogEntry } from './log-state.js'
import {
  type ConsistencyProof,
  type GetEntryOptions,
  type LogInfo,
  MAX_RETRIEVE_QUERIES,
  type RetrieveEntriesQuery,
  type ShardHeadInfo,
} from './log-types.js'
import {
  consistencyProofFromStorage,
  inclusionProofFromStorage,
  latestHead,
  read,
  type Shard,
} from './shard.js'

const HEX64 = /^[0-9a-fA-F]{64}$/
const HEX80 = /^[0-9a-fA-F]{80}$/

/** The head to prove against: the latest, or the signed head of `treeSize`. */
async function headFor(state: LogState, shard: Shard, treeSize: number | undefined): Promise<LogTreeHead> {
  if (treeSize === undefined) return latestHead(state.storage, shard.tree.treeId)
  checkSize(treeSize, 'treeSize')
  const head = await read('reading a tree head', () => state.storage.getTreeHead(shard.tree.treeId, treeSize))
  if (!head) return fail('TLOG_INVALID_REQUEST', `no signed tree head for size ${treeSize}`, { treeSize })
  return head
}

async function entryFromLeaf(
  state: LogState,
  shard: Shard,
  leaf: LogLeaf,
  options?: GetEntryOptions,
): Promise<LogEntry> {
  const started = state.onInclusionProof ? performance.now() : 0
  const head = await headFor(state, shard, options?.treeSize)
  if (leaf.leafIndex >= head.treeSize) {
    fail('TLOG_INVALID_REQUEST', `the entry is not in the tree of size ${head.treeSize}`, {
      treeSize: head.treeSize,
    })
  }
  const hashes = await inclusionProofFromStorage(
    state.storage,
    shard.tree.treeId,
    leaf.leafIndex,
    head.treeSize,
  )
  state.onInclusionProof?.((performance.now() - started) / 1000)
  return toLogEntry(shard, leaf, head, hashes)
}

/** The entry with this leaf hash, in one shard or (newest first) in every shard. */
export async function entryByLeafHash(
  state: LogState,
  leafHash: Uint8Array,
  onlyShard: Shard | undefined,
  options?: GetEntryOptions,
): Promise<LogEntry | undefined> {
  const search = async (candidates: readonly Shard[]) => {
    for (const shard of candidates) {
      const leaf = await read('reading a leaf', () =>
        state.storage.getLeafByHash(shard.tree.treeId, leafHash),
      )
      if (leaf) return entryFromLeaf(state, shard, leaf, options)
    }
    return undefined
  }
  if (onlyShard) return search([onlyShard])
  const known = state.shards.length
  const found = await search([...state.shards].reverse())
  if (found) return found
  // Another process may have added a shard since we last looked.
  const fresh = await refreshShards(state)
  return fresh.length === known ? undefined : search([...fresh].reverse())
}

/** Entry by 64-hex UUID (searched in every shard) or 80-hex entry ID. */
export async function getEntryByUuid(
  state: LogState,
  id: string,
  options?: GetEntryOptions,
): Promise<LogEntry | undefined> {
  assertOpen(state)
  if (typeof id !== 'string' || !(HEX64.test(id) || HEX80.test(id))) {
    fail('TLOG_INVALID_REQUEST', 'an entry ID is 64 hex characters (UUID) or 80 (tree ID + UUID)')
  }
  const lower = id.toLowerCase()
  const leafHash = new Uint8Array(Buffer.from(lower.slice(-64), 'hex'))
  if (lower.length === 64) return entryByLeafHash(state, leafHash, undefined, options)
  const prefix = lower.slice(0, 16)
  const shard =
    state.shards.find((candidate) => candidate.idHex === prefix) ??
    (await refreshShards(state)).find((candidate) => candidate.idHex === prefix)
  return shard ? entryByLeafHash(state, leafHash, shard, options) : undefined
}

/** Entry by global log index. */
export async function getEntryByIndex(
  state: LogState,
  logIndex: number,
  options?: GetEntryOptions,
): Promise<LogEntry | undefined> {
  assertOpen(state)
  checkSize(logIndex, 'logIndex')
  const lookup = async (list: readonly Shard[]) => {
    const shard = [...list].reverse().find((candidate) => candidate.tree.startIndex <= logIndex)
    if (!shard) return undefined
    const leaf = await read('reading a leaf', () =>
      state.storage.getLeafByIndex(shard.tree.treeId, logIndex - shard.tree.startIndex),
    )
    return leaf ? entryFromLeaf(state, shard, leaf, options) : undefined
  }
  // The cached shard list is right unless another process rotated the key; only a miss pays for a reload.
  return (await lookup(state.shards)) ?? (await lookup(await refreshShards(state)))
}

/** Entries by UUIDs, indexes or proposed entries; absent ones are left out, duplicates once. */
export async function retrieveEntries(state: LogState, query: RetrieveEntriesQuery): Promise<LogEntry[]> {
  assertOpen(state)
  const uuids = query?.entryUUIDs ?? []
  const indexes = query?.logIndexes ?? []
  const proposed = query?.entries ?? []
  if (![uuids, indexes, proposed].every(Array.isArray))
    fail('TLOG_INVALID_REQUEST', 'entryUUIDs, logIndexes and entries must be arrays')
  if (uuids.length + indexes.length + proposed.length > MAX_RETRIEVE_QUERIES) {
    fail('TLOG_TOO_MANY_QUERIES', `at most ${MAX_RETRIEVE_QUERIES} entries can be retrieved at once`)
  }
  const found: Array<LogEntry | undefined> = []
  for (const uuid of uuids) found.push(await getEntryByUuid(state, uuid))
  for (const index of indexes) found.push(await getEntryByIndex(state, index))
  for (const entry of proposed)
    found.push(await entryByLeafHash(state, (await validateProposedEntry(entry)).leafHash, undefined))
  const unique = new Map<string, LogEntry>()
  for (const entry of found) if (entry && !unique.has(entry.uuid)) unique.set(entry.uuid, entry)
  return [...unique.values()]
}

async function headInfo(state: LogState, shard: Shard): Promise<ShardHeadInfo> {
  const head = await latestHead(state.storage, shard.tree.treeId)
  return {
    rootHash: toHex(head.rootHash),
    treeSize: head.treeSize,
    signedTreeHead: head.checkpoint,
    treeID: shard.tree.treeId,
  }
}

/** Active shard head with its signed checkpoint, plus inactive shards. */
export async function getLogInfo(state: LogState): Promise<LogInfo> {
  assertOpen(state)
  const list = await refreshShards(state)
  const current = list.find((shard) => shard.tree.active) ?? state.active.shard
  const info: LogInfo = await headInfo(state, current)
  const inactive = list.filter((shard) => !shard.tree.active)
  if (inactive.length > 0)
    info.inactiveShards = await Promise.all(inactive.map((shard) => headInfo(state, shard)))
  return info
}

/** Consistency proof between two sizes of a shard (default: the active one). */
export async function getConsistencyProof(
  state: LogState,
  input: { firstSize?: number; lastSize: number; treeId?: string },
): Promise<ConsistencyProof> {
  assertOpen(state)
  const firstSize = checkSize(input?.firstSize ?? 1, 'firstSize')
  const lastSize = checkSize(input?.lastSize, 'lastSize')
  const shard =
    input?.treeId === undefined ? state.active.shard : await findShard(state, String(input.treeId))
  if (!shard) return fail('TLOG_INVALID_REQUEST', 'unknown tree ID', { treeId: input.treeId })
  const head = await latestHead(state.storage, shard.tree.treeId)
  if (firstSize < 1) fail('TLOG_INVALID_REQUEST', 'firstSize must be at least 1')
  if (firstSize > lastSize)
    fail('TLOG_INVALID_REQUEST', 'firstSize must not exceed lastSize', { firstSize, lastSize })
  if (lastSize > head.treeSize) {
    fail('TLOG_INVALID_REQUEST', `lastSize ${lastSize} exceeds the tree size ${head.treeSize}`, {
      lastSize,
      treeSize: head.treeSize,
    })
  }
  const hashes = await consistencyProofFromStorage(state.storage, shard.tree.treeId, firstSize, lastSize)
  return { rootHash: toHex(head.rootHash), hashes }
}

/** PEM public key of a shard (default: the active one). */
export async function getPublicKey(state: LogState, options?: { treeId?: string }): Promise<string> {
  assertOpen(state)
  if (options?.treeId === undefined) return state.active.shard.tree.publicKeyPem
  const shard = await findShard(state, String(options.treeId))
  if (!shard) return fail('TLOG_INVALID_REQUEST', 'unknown tree ID', { treeId: options.treeId })
  return shard.tree.publicKeyPem
}
