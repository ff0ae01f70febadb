import { type Logger, noopLogger, toBase64, toHex } from '@certus-trust/core'
import {
  EMPTY_TREE_ROOT,
  type LogEntry,
  logIdFromPublicKey,
  signCheckpoint,
} from '@certus-trust/log-protocol'
import type { OwnSignatures } from '@certus-trust/log-protocol/entries'
import type { LogLeaf, LogStorage, LogTree, LogTreeHead } from '@certus-trust/storage'
import type { SerialQueue } from './batcher.js'
import { type ValidatedEntry, validateProposedEntry } from './entry-validation.js'
import { fail, TlogError } from './errors.js'
import { DEFAULT_LOG_KEY_ALGORITHM, type LogKeyAlgorithm, type LogKeyPair } from './log-key.js'
import { type PresignatureSource, signWithLogKey } from './log-signature.js'
import {
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_TLOG_BASE_URL,
  type EntryValidator,
  type LogShardInfo,
  type TransparencyLogOptions,
} from './log-types.js'
import type { CompactRange } from './merkle-tree.js'
import { validateRekorV2Request } from './rekor-v2/entry-v2.js'
import { read, type Shard, storageFailed, toShard, treeIdFromLogId } from './shard.js'

/** The log's fixed settings, validated once from its options. */
export interface LogSettings {
  storage: LogStorage
  logger: Logger
  now: () => Date
  baseUrl: string
  /** Checkpoint key name: the host of `baseUrl`. */
  keyName: string
  originName: string
  maxBatchSize: number
  algorithm: LogKeyAlgorithm
  apiVersion: 1 | 2
  validate: EntryValidator
  /** The ledger of this process's own fresh signatures, when the log was opened with one. */
  ownSignatures: OwnSignatures | undefined
  /** Told how long each inclusion proof took to build (see {@link TransparencyLogOptions.onInclusionProof}). */
  onInclusionProof: ((seconds: number) => void) | undefined
  /** See {@link TransparencyLogOptions.presignatures}. */
  presignatures: PresignatureSource | undefined
}

/** The active shard with its key and the compact range this process last committed or loaded. */
export interface ActiveState {
  shard: Shard
  key: LogKeyPair
  /** Compact range of the last head this process committed or loaded, to skip rereading it. */
  cache?: { range: CompactRange; root: Uint8Array }
}

/** Everything one open log holds: settings plus the state its operations share and update. */
export interface LogState extends LogSettings {
  /** Where the key file lives (rotations save the next key beside it), when the key came from a path. */
  keyPath: string | undefined
  /** Every shard, oldest first, as last read from storage. */
  shards: Shard[]
  active: ActiveState
  closed: boolean
  /** Serialises batches and rotations. */
  serial: SerialQueue
  /** Whether the storage's write transactions read tree records (`tx.getTree`); learnt from the first batch. */
  treeReadsUnderLock: boolean
}

/** An entry waiting for the next batch. */
export interface QueuedEntry {
  entry: ValidatedEntry
  signal: AbortSignal | undefined
}

/**
 * Validates the options of `createTransparencyLog` and resolves their defaults.
 * @throws TlogError `TLOG_INVALID_REQUEST`
 */
export function resolveSettings(
  options: TransparencyLogOptions,
  validator: EntryValidator | undefined,
): LogSettings {
  if (!options || typeof options.storage !== 'object' || options.storage === null) {
    fail('TLOG_INVALID_REQUEST', 'createTransparencyLog needs a storage')
  }
  const baseUrl = options.baseUrl ?? DEFAULT_TLOG_BASE_URL
  let keyName: string
  try {
    keyName = new URL(baseUrl).host
  } catch (error) {
    return fail('TLOG_INVALID_REQUEST', 'baseUrl must be an absolute URL', { baseUrl }, error)
  }
  if (!/^\S+$/.test(keyName)) fail('TLOG_INVALID_REQUEST', 'baseUrl needs a host', { baseUrl })
  const originName = options.origin ?? keyName
  if (originName.length === 0 || originName.includes('\n'))
    fail('TLOG_INVALID_REQUEST', 'origin must be a non-empty single line')
  const maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE
  if (!Number.isSafeInteger(maxBatchSize) || maxBatchSize < 1)
    fail('TLOG_INVALID_REQUEST', 'maxBatchSize must be a positive integer')
  const apiVersion = options.apiVersion ?? 1
  if (apiVersion !== 1 && apiVersion !== 2) fail('TLOG_INVALID_REQUEST', 'apiVersion must be 1 or 2')
  return {
    storage: options.storage,
    logger: options.logger ?? noopLogger,
    now: options.now ?? (() => new Date()),
    baseUrl,
    keyName,
    originName,
    maxBatchSize,
    algorithm: options.keyAlgorithm ?? DEFAULT_LOG_KEY_ALGORITHM,
    apiVersion,
    validate: validator ?? (apiVersion === 2 ? validateRekorV2Request : validateProposedEntry),
    ownSignatures: options.ownSignatures,
    onInclusionProof: options.onInclusionProof,
    presignatures: options.presignatures,
  }
}

/** A new active tree for `pair`, its ID derived from the key. */
export function newTree(
  settings: LogSettings,
  pair: LogKeyPair,
  startIndex: number,
  createdAt: Date,
): LogTree {
  const logId = logIdFromPublicKey(pair.publicKey)
  const treeId = treeIdFromLogId(logId)
  return {
    treeId,
    // Rekor v2 (C2SP) origins are the bare log name; v1 adds the tree ID, as Rekor v1 does.
    origin: settings.apiVersion === 2 ? settings.originName : `${settings.originName} - ${treeId}`,
    publicKeyPem: pair.publicKeyPem,
    keyAlgorithm: pair.algorithm,
    logId,
    startIndex,
    active: true,
    createdAt,
  }
}

/** The signed-note checkpoint of a tree head. */
export function signHead(
  settings: LogSettings,
  tree: LogTree,
  pair: LogKeyPair,
  treeSize: number,
  rootHash: Uint8Array,
): string {
  return signCheckpoint(
    { origin: tree.origin, treeSize, rootHash },
    {
      name: settings.keyName,
      privateKey: pair.privateKey,
      // One per batch: with small batches, as many as a tenth of the SETs (see signWithLogKey).
      sign: (data) => signWithLogKey(pair, data, settings.presignatures),
    },
  )
}

/** Every tree starts with a signed head for size 0, so log info and consistency checks work on an empty log. */
export async function ensureInitialHead(
  settings: LogSettings,
  tree: LogTree,
  pair: LogKeyPair,
): Promise<void> {
  const { storage } = settings
  if (await read('reading the tree head', () => storage.getLatestTreeHead(tree.treeId))) return
  try {
    await storage.withTreeLock(tree.treeId, async (tx) => {
      if (await tx.getLatestTreeHead(tree.treeId)) return
      await tx.putTreeHead({
        treeId: tree.treeId,
        treeSize: 0,
        rootHash: EMPTY_TREE_ROOT,
        checkpoint: signHead(settings, tree, pair, 0, EMPTY_TREE_ROOT),
        createdAt: settings.now(),
      })
    })
  } catch (error) {
    // Another process wrote the size-0 head between our check and our write: fine.
    if (await storage.getLatestTreeHead(tree.treeId).catch(() => undefined)) return
    storageFailed(error, 'writing the initial tree head')
  }
}

/** Every shard in storage, oldest first. */
export async function loadShards(storage: LogStorage): Promise<Shard[]> {
  return (await read('listing shards', () => storage.listTrees())).map(toShard)
}

/** Rereads the shard list (another process may have rotated the key). */
export async function refreshShards(state: LogState): Promise<Shard[]> {
  state.shards = await loadShards(state.storage)
  return state.shards
}

/** A shard by tree ID, rereading the list once on a miss. */
export async function findShard(state: LogState, treeId: string): Promise<Shard | undefined> {
  return (
    state.shards.find((shard) => shard.tree.treeId === treeId) ??
    (await refreshShards(state)).find((shard) => shard.tree.treeId === treeId)
  )
}

/** @throws TlogError `TLOG_CLOSED` */
export function assertOpen(state: LogState): void {
  if (state.closed) fail('TLOG_CLOSED', 'the transparency log is closed')
}

/** @throws TlogError `TLOG_INVALID_REQUEST` unless `value` is a non-negative safe integer. */
export function checkSize(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return fail('TLOG_INVALID_REQUEST', `${name} must be a non-negative integer`, { [name]: value })
  }
  return value
}

/** Rekor's 80-hex entry ID: tree ID prefix + leaf hash. */
export function entryId(shard: Shard, leafHash: Uint8Array): string {
  return `${shard.idHex}${toHex(leafHash)}`
}

/** A stored leaf as a Rekor log entry, with its inclusion proof against `head`. */
export function toLogEntry(shard: Shard, leaf: LogLeaf, head: LogTreeHead, hashes: string[]): LogEntry {
  return {
    uuid: entryId(shard, leaf.leafHash),
    body: toBase64(leaf.body),
    integratedTime: leaf.integratedTime,
    logID: shard.tree.logId,
    logIndex: shard.tree.startIndex + leaf.leafIndex,
    verification: {
      inclusionProof: {
        logIndex: leaf.leafIndex,
        rootHash: toHex(head.rootHash),
        treeSize: head.treeSize,
        hashes,
        checkpoint: head.checkpoint,
      },
      // Rekor v2 entries have no SET (stored as zero bytes).
      ...(leaf.signedEntryTimestamp.length > 0
        ? { signedEntryTimestamp: toBase64(leaf.signedEntryTimestamp) }
        : {}),
    },
  }
}

/** `TLOG_ENTRY_CONFLICT` naming the existing entry. */
export function conflict(shard: Shard, leafHash: Uint8Array, logIndex?: number): TlogError {
  return new TlogError({
    code: 'TLOG_ENTRY_CONFLICT',
    message: `an equivalent entry already exists in the transparency log with UUID ${entryId(shard, leafHash)}`,
    details: { entryId: entryId(shard, leafHash), ...(logIndex === undefined ? {} : { logIndex }) },
  })
}

/** `TLOG_KEY_MISMATCH`: the shard this process appends to was frozen by another process. */
export function rotatedElsewhere(treeId: string): TlogError {
  return new TlogError({
    code: 'TLOG_KEY_MISMATCH',
    message: 'the active shard was rotated by another process; reopen the log with the new key',
    details: { frozenTreeId: treeId },
  })
}

/** The public view of a shard. */
export function shardInfo(tree: LogTree): LogShardInfo {
  const info: LogShardInfo = {
    treeId: tree.treeId,
    logId: tree.logId,
    publicKeyPem: tree.publicKeyPem,
    keyAlgorithm: tree.keyAlgorithm,
    startIndex: tree.startIndex,
    active: tree.active,
    createdAt: tree.createdAt,
  }
  if (tree.frozenAt) info.frozenAt = tree.frozenAt
  return info
}
