import { createPrivateKey, type KeyObject } from 'node:crypto'
import { readFile, rename } from 'node:fs/promises'
import { type Logger, noopLogger } from '@certus-trust/core'
import {
  type CreateEntryOptions,
  EMPTY_TREE_ROOT,
  type EntryCreator,
  type LogEntry,
  logIdFromPublicKey,
  type ProposedEntry,
  signCheckpoint,
  signSignedEntryTimestamp,
} from '@certus-trust/rekor'
import type {
  LogLeaf,
  LogNode,
  LogStorage,
  LogTree,
  LogTreeHead,
  LogWriteTransaction,
} from '@certus-trust/storage'
import { Batcher, type BatchResult, SerialQueue } from './batcher.js'
import { bytesEqual, toBase64, toHex } from './encoding.js'
import {
  parseKeyMaterial,
  publicKeySearchKey,
  type ValidatedEntry,
  validateProposedEntry,
} from './entry-validation.js'
import { fail, TlogError } from './errors.js'
import {
  DEFAULT_LOG_KEY_ALGORITHM,
  generateLogKey,
  type LogKeyAlgorithm,
  type LogKeyPair,
  type LogKeySource,
  resolveLogKey,
  savePrivateKey,
  toLogKeyPair,
} from './log-key.js'
import { CompactRange, type HashedNode, hashSegments, inclusionSegments, nodeKey } from './merkle-tree.js'
import {
  consistencyProofFromStorage,
  inclusionProofFromStorage,
  latestHead,
  read,
  type Shard,
  storageFailed,
  toShard,
  treeIdFromLogId,
} from './shard.js'
import { buildTrustedRoot, type ExportTrustedRootOptions, type TrustedRootJson } from './trusted-root.js'

/** Base URL a log names itself by when none is configured (checkpoint key name = its host). */
export const DEFAULT_TLOG_BASE_URL = 'https://tlog.certus-trust.local'

/** Default largest number of entries committed in one batch (one transaction, one checkpoint). */
export const DEFAULT_MAX_BATCH_SIZE = 512

/** Rekor's limit on the number of queries in one retrieve request. */
export const MAX_RETRIEVE_QUERIES = 10

/** Default and largest number of entry IDs a search returns. */
export const MAX_SEARCH_RESULTS = 1000

/**
 * @internal Lets the benchmark feed pre-validated entries (so it measures the log, not signature checks).
 * Deliberately a module-local symbol, not exported from the package entry point.
 */
export const INTERNAL_VALIDATOR: unique symbol = Symbol('tlog.internal.validator')

/** Options of {@link createTransparencyLog}. */
export interface TransparencyLogOptions {
  /** @internal */
  [INTERNAL_VALIDATOR]?: (proposed: unknown, options: { artifact?: Uint8Array }) => ValidatedEntry
  /** Where leaves, nodes, tree heads and shards live. The log never closes it: whoever created it does. */
  storage: LogStorage
  /**
   * The signing key of the active shard: a `KeyObject`, PEM text, or `{ path }` (loaded, or generated and saved with
   * mode 0600). Without it a fresh in-memory key is generated, which only works with empty storage.
   */
  key?: LogKeySource
  /** Algorithm for generated keys. @default 'ecdsa-p256' */
  keyAlgorithm?: LogKeyAlgorithm
  /**
   * The URL the log is served at. It goes into the exported trusted root, and its host is the checkpoint key name
   * (sigstore-js requires the name to appear in the trusted root's baseUrl).
   * @default DEFAULT_TLOG_BASE_URL
   */
  baseUrl?: string
  /** First part of the checkpoint origin line (`<origin> - <treeID>`). @default the host of `baseUrl` */
  origin?: string
  /** Largest number of entries per batch. @default DEFAULT_MAX_BATCH_SIZE */
  maxBatchSize?: number
  /** @default noopLogger */
  logger?: Logger
  /** @internal Clock for tests. */
  now?: () => Date
}

/** Tree head as Rekor's `GET /api/v1/log` reports it (and each inactive shard). */
export interface ShardHeadInfo {
  rootHash: string
  treeSize: number
  signedTreeHead: string
  treeID: string
}

/** `GET /api/v1/log` response. */
export interface LogInfo extends ShardHeadInfo {
  inactiveShards?: ShardHeadInfo[]
}

/** `GET /api/v1/log/proof` response: hashes between the sizes, and the tree's *current* root. */
export interface ConsistencyProof {
  rootHash: string
  hashes: string[]
}

/** Query of {@link TransparencyLog.searchIndex} (Rekor's `POST /api/v1/index/retrieve`). */
export interface SearchIndexQuery {
  /** `sha256:<hex>` (or bare hex, taken as SHA-256), also `sha384:`/`sha512:`. */
  hash?: string
  /** Only `x509` (base64 of a PEM public key or certificate) is supported. */
  publicKey?: { format: string; content?: string }
  email?: string
  /** A certificate URI SAN. */
  subject?: string
  /** @default 'or' */
  operator?: 'and' | 'or'
}

/** Query of {@link TransparencyLog.retrieveEntries} (Rekor's `POST /api/v1/log/entries/retrieve`). */
export interface RetrieveEntriesQuery {
  entryUUIDs?: string[]
  logIndexes?: number[]
  entries?: unknown[]
}

/** Options of the entry getters. */
export interface GetEntryOptions {
  /** Prove inclusion against this committed tree size instead of the latest. */
  treeSize?: number
}

/** A shard (one tree and its key), as the log reports it. */
export interface LogShardInfo {
  treeId: string
  logId: string
  publicKeyPem: string
  keyAlgorithm: string
  startIndex: number
  active: boolean
  createdAt: Date
  frozenAt?: Date
}

/** Options of {@link TransparencyLog.rotateKey}. */
export interface RotateKeyOptions {
  /** The new key (KeyObject or PEM). Default: generate one; with a `{ path }` key it is saved to that path. */
  key?: KeyObject | string
  /** Algorithm of a generated key. @default the current shard's algorithm */
  algorithm?: LogKeyAlgorithm
}

/**
 * An embedded, Rekor v1-compatible transparency log. Implements rekor's {@link EntryCreator}, so the signer can use
 * it wherever it would use a remote Rekor.
 */
export interface TransparencyLog extends EntryCreator {
  /** The base URL the log names itself by. */
  readonly baseUrl: string
  /** Validates, appends and acknowledges an entry (with inclusion proof, checkpoint and SET) once it is committed. */
  createEntry(entry: ProposedEntry | unknown, options?: CreateEntryOptions): Promise<LogEntry>
  /** Entry by 64-hex UUID (searched in every shard) or 80-hex entry ID; undefined when absent. */
  getEntryByUuid(id: string, options?: GetEntryOptions): Promise<LogEntry | undefined>
  /** Entry by global log index; undefined when absent. */
  getEntryByIndex(logIndex: number, options?: GetEntryOptions): Promise<LogEntry | undefined>
  /** Entries by UUIDs, indexes or proposed entries; absent ones are left out. */
  retrieveEntries(query: RetrieveEntriesQuery): Promise<LogEntry[]>
  /** Entry IDs matching a hash, public key, email or subject. */
  searchIndex(query: SearchIndexQuery): Promise<string[]>
  /** Active shard head with its signed checkpoint, plus inactive shards. */
  getLogInfo(): Promise<LogInfo>
  /** Consistency proof between two sizes of a shard (default: the active one). */
  getConsistencyProof(input: {
    firstSize?: number
    lastSize: number
    treeId?: string
  }): Promise<ConsistencyProof>
  /** PEM public key of a shard (default: the active one). */
  getPublicKey(options?: { treeId?: string }): Promise<string>
  /** Every shard, oldest first. */
  listShards(): Promise<LogShardInfo[]>
  /** Freezes the active shard and starts a new one with a new key and tree ID. */
  rotateKey(options?: RotateKeyOptions): Promise<LogShardInfo>
  /** A Sigstore TrustedRoot JSON naming every shard of this log. */
  exportTrustedRoot(options?: ExportTrustedRootOptions): Promise<TrustedRootJson>
  /** Waits for queued entries, then refuses new calls. Idempotent. Does not close the storage. */
  close(): Promise<void>
}

interface QueuedEntry {
  entry: ValidatedEntry
  signal: AbortSignal | undefined
}

interface ActiveState {
  shard: Shard
  key: LogKeyPair
  /** Compact range of the last head this process committed or loaded, to skip rereading it. */
  cache?: { range: CompactRange; root: Uint8Array }
}

const HEX64 = /^[0-9a-fA-F]{64}$/
const HEX80 = /^[0-9a-fA-F]{80}$/

function checkSize(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return fail('TLOG_INVALID_REQUEST', `${name} must be a non-negative integer`, { [name]: value })
  }
  return value
}

function shardInfo(tree: LogTree): LogShardInfo {
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

/**
 * Opens (or initialises) an embedded transparency log over a {@link LogStorage}.
 *
 * @example
 * const storage = createMemoryStorage()
 * const log = await createTransparencyLog({ storage, key: { path: './data/log-key.pem' } })
 * const entry = await log.createEntry(buildHashedRekordProposedEntry({ digest, signature, publicKeyPem }))
 *
 * @throws TlogError `TLOG_KEY_INVALID`, `TLOG_KEY_MISMATCH` (storage holds a log signed by another key),
 * `TLOG_INVALID_REQUEST` (bad options), `TLOG_STORAGE_FAILED`.
 */
export async function createTransparencyLog(options: TransparencyLogOptions): Promise<TransparencyLog> {
  if (!options || typeof options.storage !== 'object' || options.storage === null) {
    fail('TLOG_INVALID_REQUEST', 'createTransparencyLog needs a storage')
  }
  const storage = options.storage
  const logger = options.logger ?? noopLogger
  const now = options.now ?? (() => new Date())
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
  const algorithm = options.keyAlgorithm ?? DEFAULT_LOG_KEY_ALGORITHM
  const validate = options[INTERNAL_VALIDATOR] ?? validateProposedEntry

  const resolved = await resolveLogKey(options.key, algorithm)
  const keyPath = resolved.path
  let key = resolved.key

  const newTree = (pair: LogKeyPair, startIndex: number, createdAt: Date): LogTree => {
    const logId = logIdFromPublicKey(pair.publicKey)
    const treeId = treeIdFromLogId(logId)
    return {
      treeId,
      origin: `${originName} - ${treeId}`,
      publicKeyPem: pair.publicKeyPem,
      keyAlgorithm: pair.algorithm,
      logId,
      startIndex,
      active: true,
      createdAt,
    }
  }

  const signHead = (tree: LogTree, pair: LogKeyPair, treeSize: number, rootHash: Uint8Array): string =>
    signCheckpoint(
      { origin: tree.origin, treeSize, rootHash },
      { name: keyName, privateKey: pair.privateKey },
    )

  // Every tree starts with a signed head for size 0, so log info and consistency checks work on an empty log.
  const ensureInitialHead = async (tree: LogTree, pair: LogKeyPair) => {
    if (await read('reading the tree head', () => storage.getLatestTreeHead(tree.treeId))) return
    try {
      await storage.withTreeLock(tree.treeId, async (tx) => {
        if (await tx.getLatestTreeHead(tree.treeId)) return
        await tx.putTreeHead({
          treeId: tree.treeId,
          treeSize: 0,
          rootHash: EMPTY_TREE_ROOT,
          checkpoint: signHead(tree, pair, 0, EMPTY_TREE_ROOT),
          createdAt: now(),
        })
      })
    } catch (error) {
      // Another process wrote the size-0 head between our check and our write: fine.
      if (await storage.getLatestTreeHead(tree.treeId).catch(() => undefined)) return
      storageFailed(error, 'writing the initial tree head')
    }
  }

  const loadShards = async () => (await read('listing shards', () => storage.listTrees())).map(toShard)

  // --- open or initialise ---------------------------------------------------------------------------------------
  let shards = await loadShards()
  let activeShard = shards.find((shard) => shard.tree.active)
  if (!activeShard) {
    const startIndex = await sumSizes(shards)
    const tree = newTree(key, startIndex, now())
    try {
      await storage.createTree(tree)
    } catch (error) {
      // Two processes with the same key derive the same tree ID: whoever lost the race uses the winner's tree.
      shards = await loadShards()
      if (!shards.some((shard) => shard.tree.active && shard.tree.logId === tree.logId))
        storageFailed(error, 'creating the first shard')
    }
    shards = await loadShards()
    activeShard = shards.find((shard) => shard.tree.active)!
  }
  if (activeShard.tree.logId !== logIdFromPublicKey(key.publicKey)) {
    // A rotation may have stored the new shard but crashed before moving the new key file into place.
    const pending = keyPath ? await readFile(`${keyPath}.next`, 'utf8').catch(() => undefined) : undefined
    const pendingKey = pending ? toLogKeyPair(createPrivateKeyOrThrow(pending)) : undefined
    if (keyPath && pendingKey && logIdFromPublicKey(pendingKey.publicKey) === activeShard.tree.logId) {
      await rename(`${keyPath}.next`, keyPath)
      key = pendingKey
    } else {
      fail(
        'TLOG_KEY_MISMATCH',
        'the log key does not match the active shard in storage; pass the key the log was created with',
        {
          activeTreeId: activeShard.tree.treeId,
          activeLogId: activeShard.tree.logId,
        },
      )
    }
  }
  await ensureInitialHead(activeShard.tree, key)

  let active: ActiveState = { shard: activeShard, key }
  let closed = false
  const serial = new SerialQueue()

  async function sumSizes(list: readonly Shard[]): Promise<number> {
    let total = 0
    for (const shard of list) {
      const head = await read('reading the tree head', () => storage.getLatestTreeHead(shard.tree.treeId))
      total = Math.max(total, shard.tree.startIndex + (head?.treeSize ?? 0))
    }
    return total
  }

  const assertOpen = () => {
    if (closed) fail('TLOG_CLOSED', 'the transparency log is closed')
  }

  const entryId = (shard: Shard, leafHash: Uint8Array) => `${shard.idHex}${toHex(leafHash)}`

  const toLogEntry = (shard: Shard, leaf: LogLeaf, head: LogTreeHead, hashes: string[]): LogEntry => ({
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
      signedEntryTimestamp: toBase64(leaf.signedEntryTimestamp),
    },
  })

  const conflict = (shard: Shard, leafHash: Uint8Array, logIndex?: number): TlogError =>
    new TlogError({
      code: 'TLOG_ENTRY_CONFLICT',
      message: `an equivalent entry already exists in the transparency log with UUID ${entryId(shard, leafHash)}`,
      details: { entryId: entryId(shard, leafHash), ...(logIndex === undefined ? {} : { logIndex }) },
    })

  // --- the write path: one transaction, one tree update and one checkpoint per batch --------------------------------
  const loadRange = async (
    tx: LogWriteTransaction,
    treeId: string,
    head: LogTreeHead | undefined,
  ): Promise<CompactRange> => {
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

  /** Whether the storage's write transactions read tree records (`tx.getTree`); learnt from the first batch. */
  let treeReadsUnderLock = false

  const rotatedElsewhere = (treeId: string) =>
    new TlogError({
      code: 'TLOG_KEY_MISMATCH',
      message: 'the active shard was rotated by another process; reopen the log with the new key',
      details: { frozenTreeId: treeId },
    })

  const processBatch = async (items: QueuedEntry[]): Promise<Array<BatchResult<LogEntry>>> => {
    const state = active
    const { shard } = state
    const treeId = shard.tree.treeId
    const results: Array<BatchResult<LogEntry> | undefined> = new Array(items.length)
    let committed:
      | {
          previous: CompactRange
          next: CompactRange
          created: HashedNode[]
          leaves: LogLeaf[]
          head: LogTreeHead
          positions: number[]
        }
      | undefined
    try {
      // Another process may have rotated the key: then this process must not append to the frozen shard.
      if (!treeReadsUnderLock) {
        // Until a transaction showed the storage has `tx.getTree` (never, for one without it): checked before
        // taking the lock (a storage read inside it could wait for a pool connection the lock holder needs). A
        // rotation committing after this check is caught by the check under the lock, if the storage has one.
        const stored = (await storage.listTrees()).find((tree) => tree.treeId === treeId)
        if (!stored?.active) throw rotatedElsewhere(treeId)
      }
      committed = await storage.withTreeLock(treeId, async (tx) => {
        // Under the lock, through the transaction: rotations take this same lock, so a tree seen active here stays
        // active until this batch commits, and a batch that waited for a rotation's lock sees the tree frozen.
        if (tx.getTree) {
          treeReadsUnderLock = true
          if (!(await tx.getTree(treeId))?.active) throw rotatedElsewhere(treeId)
        }
        const head = await tx.getLatestTreeHead(treeId)
        const size = head?.treeSize ?? 0
        const cached = state.cache
        // Another process may have appended since our last batch: then reread the O(log n) compact range.
        const previous =
          cached && cached.range.size === size && head && bytesEqual(cached.root, head.rootHash)
            ? cached.range
            : await loadRange(tx, treeId, head)
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
        if (accepted.length === 0) return undefined
        const integratedTime = Math.floor(now().getTime() / 1000)
        const { range: next, created } = previous.append(
          accepted.map((position) => items[position]!.entry.leafHash),
        )
        const leaves: LogLeaf[] = accepted.map((position, offset) => {
          const entry = items[position]!.entry
          const leafIndex = size + offset
          const body = toBase64(entry.body)
          const signedEntryTimestamp = signSignedEntryTimestamp(
            { body, integratedTime, logID: shard.tree.logId, logIndex: shard.tree.startIndex + leafIndex },
            state.key.privateKey,
          )
          return {
            treeId,
            leafIndex,
            leafHash: entry.leafHash,
            body: entry.body,
            integratedTime,
            signedEntryTimestamp,
            searchKeys: entry.searchKeys,
          }
        })
        const nodes: LogNode[] = created.filter((node) => node.level > 0)
        // A trailing single leaf is part of the compact range; storing it lets the next writer (maybe another
        // process) rebuild the range from nodes alone.
        const tail = next.pieces[next.pieces.length - 1]
        if (tail && tail.level === 0) nodes.push(tail)
        const rootHash = next.root()
        const newHead: LogTreeHead = {
          treeId,
          treeSize: next.size,
          rootHash,
          checkpoint: signHead(shard.tree, state.key, next.size, rootHash),
          createdAt: now(),
        }
        await tx.appendLeaves(leaves)
        if (nodes.length > 0) await tx.putNodes(treeId, nodes)
        await tx.putTreeHead(newHead)
        return { previous, next, created, leaves, head: newHead, positions: accepted }
      })
    } catch (error) {
      state.cache = undefined
      logger.error(
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
    if (committed) {
      state.cache = { range: committed.next, root: committed.head.rootHash }
      // Every node a new leaf's proof needs is in the old compact range or was created by this batch.
      const lookup = new Map<string, Uint8Array>()
      for (const node of committed.previous.pieces) lookup.set(nodeKey(node.level, node.index), node.hash)
      for (const node of committed.created) lookup.set(nodeKey(node.level, node.index), node.hash)
      committed.leaves.forEach((leaf, offset) => {
        const segments = inclusionSegments(leaf.leafIndex, committed.head.treeSize)
        const hashes = hashSegments(segments, (level, index) => lookup.get(nodeKey(level, index))).map(toHex)
        results[committed.positions[offset]!] = {
          ok: true,
          value: toLogEntry(shard, leaf, committed.head, hashes),
        }
      })
      logger.debug(
        { treeId, treeSize: committed.head.treeSize, appended: committed.leaves.length },
        'tlog batch committed',
      )
    }
    return results.map((result) => result ?? { ok: false, error: new Error('entry was not processed') })
  }

  const batcher = new Batcher<QueuedEntry, LogEntry>({ maxBatchSize, process: processBatch, serial })

  // --- reads ------------------------------------------------------------------------------------------------------
  const currentShards = async () => {
    shards = await loadShards()
    return shards
  }

  const findShard = async (treeId: string): Promise<Shard | undefined> =>
    shards.find((shard) => shard.tree.treeId === treeId) ??
    (await currentShards()).find((shard) => shard.tree.treeId === treeId)

  const headFor = async (shard: Shard, treeSize: number | undefined): Promise<LogTreeHead> => {
    if (treeSize === undefined) return latestHead(storage, shard.tree.treeId)
    checkSize(treeSize, 'treeSize')
    const head = await read('reading a tree head', () => storage.getTreeHead(shard.tree.treeId, treeSize))
    if (!head) return fail('TLOG_INVALID_REQUEST', `no signed tree head for size ${treeSize}`, { treeSize })
    return head
  }

  const entryFromLeaf = async (shard: Shard, leaf: LogLeaf, options?: GetEntryOptions): Promise<LogEntry> => {
    const head = await headFor(shard, options?.treeSize)
    if (leaf.leafIndex >= head.treeSize) {
      fail('TLOG_INVALID_REQUEST', `the entry is not in the tree of size ${head.treeSize}`, {
        treeSize: head.treeSize,
      })
    }
    const hashes = await inclusionProofFromStorage(storage, shard.tree.treeId, leaf.leafIndex, head.treeSize)
    return toLogEntry(shard, leaf, head, hashes)
  }

  const byLeafHash = async (
    leafHash: Uint8Array,
    onlyShard: Shard | undefined,
    options?: GetEntryOptions,
  ): Promise<LogEntry | undefined> => {
    const search = async (candidates: readonly Shard[]) => {
      for (const shard of candidates) {
        const leaf = await read('reading a leaf', () => storage.getLeafByHash(shard.tree.treeId, leafHash))
        if (leaf) return entryFromLeaf(shard, leaf, options)
      }
      return undefined
    }
    if (onlyShard) return search([onlyShard])
    const known = shards.length
    const found = await search([...shards].reverse())
    if (found) return found
    // Another process may have added a shard since we last looked.
    const fresh = await currentShards()
    return fresh.length === known ? undefined : search([...fresh].reverse())
  }

  const getEntryByUuid = async (id: string, options?: GetEntryOptions): Promise<LogEntry | undefined> => {
    assertOpen()
    if (typeof id !== 'string' || !(HEX64.test(id) || HEX80.test(id))) {
      fail('TLOG_INVALID_REQUEST', 'an entry ID is 64 hex characters (UUID) or 80 (tree ID + UUID)')
    }
    const lower = id.toLowerCase()
    const leafHash = new Uint8Array(Buffer.from(lower.slice(-64), 'hex'))
    if (lower.length === 64) return byLeafHash(leafHash, undefined, options)
    const prefix = lower.slice(0, 16)
    const shard =
      shards.find((candidate) => candidate.idHex === prefix) ??
      (await currentShards()).find((candidate) => candidate.idHex === prefix)
    return shard ? byLeafHash(leafHash, shard, options) : undefined
  }

  const getEntryByIndex = async (
    logIndex: number,
    options?: GetEntryOptions,
  ): Promise<LogEntry | undefined> => {
    assertOpen()
    checkSize(logIndex, 'logIndex')
    const lookup = async (list: readonly Shard[]) => {
      const shard = [...list].reverse().find((candidate) => candidate.tree.startIndex <= logIndex)
      if (!shard) return undefined
      const leaf = await read('reading a leaf', () =>
        storage.getLeafByIndex(shard.tree.treeId, logIndex - shard.tree.startIndex),
      )
      return leaf ? entryFromLeaf(shard, leaf, options) : undefined
    }
    // The cached shard list is right unless another process rotated the key; only a miss pays for a reload.
    return (await lookup(shards)) ?? (await lookup(await currentShards()))
  }

  const headInfo = async (shard: Shard): Promise<ShardHeadInfo> => {
    const head = await latestHead(storage, shard.tree.treeId)
    return {
      rootHash: toHex(head.rootHash),
      treeSize: head.treeSize,
      signedTreeHead: head.checkpoint,
      treeID: shard.tree.treeId,
    }
  }

  const log: TransparencyLog = {
    baseUrl,

    async createEntry(proposed, createOptions = {}) {
      assertOpen()
      if (createOptions.signal?.aborted)
        fail('TLOG_ABORTED', 'the request was aborted', undefined, createOptions.signal.reason)
      const entry = validate(
        proposed,
        createOptions.artifact === undefined ? {} : { artifact: createOptions.artifact },
      )
      // Frozen shards never change, so their duplicates can be checked outside the write lock.
      for (const shard of shards) {
        if (shard.tree.active) continue
        const leaf = await read('checking for duplicates', () =>
          storage.getLeafByHash(shard.tree.treeId, entry.leafHash),
        )
        if (leaf) throw conflict(shard, entry.leafHash, shard.tree.startIndex + leaf.leafIndex)
      }
      return batcher.enqueue({ entry, signal: createOptions.signal })
    },

    getEntryByUuid,
    getEntryByIndex,

    async retrieveEntries(query) {
      assertOpen()
      const uuids = query?.entryUUIDs ?? []
      const indexes = query?.logIndexes ?? []
      const proposed = query?.entries ?? []
      if (![uuids, indexes, proposed].every(Array.isArray))
        fail('TLOG_INVALID_REQUEST', 'entryUUIDs, logIndexes and entries must be arrays')
      if (uuids.length + indexes.length + proposed.length > MAX_RETRIEVE_QUERIES) {
        fail('TLOG_TOO_MANY_QUERIES', `at most ${MAX_RETRIEVE_QUERIES} entries can be retrieved at once`)
      }
      const found: Array<LogEntry | undefined> = []
      for (const uuid of uuids) found.push(await getEntryByUuid(uuid))
      for (const index of indexes) found.push(await getEntryByIndex(index))
      for (const entry of proposed)
        found.push(await byLeafHash(validateProposedEntry(entry).leafHash, undefined))
      const unique = new Map<string, LogEntry>()
      for (const entry of found) if (entry && !unique.has(entry.uuid)) unique.set(entry.uuid, entry)
      return [...unique.values()]
    },

    async searchIndex(query) {
      assertOpen()
      if (typeof query !== 'object' || query === null)
        fail('TLOG_INVALID_REQUEST', 'a search needs a query object')
      const keys: string[] = []
      if (query.hash !== undefined) {
        const match = /^(?:(sha256|sha384|sha512):)?([0-9a-fA-F]+)$/.exec(String(query.hash))
        const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 }
        const algorithm = match?.[1] ?? 'sha256'
        if (!match || match[2]!.length !== lengths[algorithm])
          fail('TLOG_INVALID_REQUEST', 'hash must be <algorithm>:<hex> with a matching length')
        keys.push(`${algorithm}:${match[2]!.toLowerCase()}`)
      }
      if (query.publicKey !== undefined) {
        if (query.publicKey?.format !== 'x509')
          fail('TLOG_INVALID_REQUEST', 'only x509 public keys can be searched for')
        if (typeof query.publicKey.content !== 'string')
          fail('TLOG_INVALID_REQUEST', 'publicKey.content must be base64 PEM')
        try {
          keys.push(publicKeySearchKey(parseKeyMaterial(query.publicKey.content, 'publicKey.content').key))
        } catch (error) {
          fail(
            'TLOG_INVALID_REQUEST',
            'publicKey.content is not a readable key or certificate',
            undefined,
            error,
          )
        }
      }
      if (query.email !== undefined) keys.push(`email:${String(query.email).toLowerCase()}`)
      if (query.subject !== undefined) keys.push(`subject:${String(query.subject).toLowerCase()}`)
      if (keys.length === 0) fail('TLOG_INVALID_REQUEST', 'a search needs hash, publicKey, email or subject')
      const operator = query.operator ?? 'or'
      if (operator !== 'and' && operator !== 'or')
        fail('TLOG_INVALID_REQUEST', 'operator must be "and" or "or"')
      const hitSets: Array<Set<string>> = []
      for (const searchKey of keys) {
        const hits = await read('searching the index', () =>
          storage.findLeavesBySearchKey(searchKey, MAX_SEARCH_RESULTS),
        )
        hitSets.push(new Set(hits.map((hit) => `${hit.treeId}:${hit.leafIndex}`)))
      }
      const combined =
        operator === 'or'
          ? new Set(hitSets.flatMap((set) => [...set]))
          : new Set([...hitSets[0]!].filter((hit) => hitSets.every((set) => set.has(hit))))
      const ids: string[] = []
      for (const hit of [...combined].slice(0, MAX_SEARCH_RESULTS)) {
        const separator = hit.indexOf(':')
        const shard = await findShard(hit.slice(0, separator))
        if (!shard) continue
        const leaf = await read('reading a leaf', () =>
          storage.getLeafByIndex(shard.tree.treeId, Number(hit.slice(separator + 1))),
        )
        if (leaf) ids.push(entryId(shard, leaf.leafHash))
      }
      return ids
    },

    async getLogInfo() {
      assertOpen()
      const list = await currentShards()
      const current = list.find((shard) => shard.tree.active) ?? active.shard
      const info: LogInfo = await headInfo(current)
      const inactive = list.filter((shard) => !shard.tree.active)
      if (inactive.length > 0) info.inactiveShards = await Promise.all(inactive.map(headInfo))
      return info
    },

    async getConsistencyProof(input) {
      assertOpen()
      const firstSize = checkSize(input?.firstSize ?? 1, 'firstSize')
      const lastSize = checkSize(input?.lastSize, 'lastSize')
      const shard = input?.treeId === undefined ? active.shard : await findShard(String(input.treeId))
      if (!shard) return fail('TLOG_INVALID_REQUEST', 'unknown tree ID', { treeId: input.treeId })
      const head = await latestHead(storage, shard.tree.treeId)
      if (firstSize < 1) fail('TLOG_INVALID_REQUEST', 'firstSize must be at least 1')
      if (firstSize > lastSize)
        fail('TLOG_INVALID_REQUEST', 'firstSize must not exceed lastSize', { firstSize, lastSize })
      if (lastSize > head.treeSize) {
        fail('TLOG_INVALID_REQUEST', `lastSize ${lastSize} exceeds the tree size ${head.treeSize}`, {
          lastSize,
          treeSize: head.treeSize,
        })
      }
      const hashes = await consistencyProofFromStorage(storage, shard.tree.treeId, firstSize, lastSize)
      return { rootHash: toHex(head.rootHash), hashes }
    },

    async getPublicKey(keyOptions) {
      assertOpen()
      if (keyOptions?.treeId === undefined) return active.shard.tree.publicKeyPem
      const shard = await findShard(String(keyOptions.treeId))
      if (!shard) return fail('TLOG_INVALID_REQUEST', 'unknown tree ID', { treeId: keyOptions.treeId })
      return shard.tree.publicKeyPem
    },

    async listShards() {
      assertOpen()
      return (await currentShards()).map((shard) => shardInfo(shard.tree))
    },

    async rotateKey(rotateOptions = {}) {
      assertOpen()
      return serial.run(async () => {
        assertOpen()
        const nextKey =
          rotateOptions.key === undefined
            ? generateLogKey(rotateOptions.algorithm ?? (active.key.algorithm as LogKeyAlgorithm))
            : (await resolveLogKey(rotateOptions.key)).key
        const old = active.shard
        const frozenAt = now()
        const nextTree = (treeSize: number) => newTree(nextKey, old.tree.startIndex + treeSize, frozenAt)
        const probe = nextTree(0)
        if (shards.some((shard) => shard.tree.treeId === probe.treeId))
          fail('TLOG_KEY_INVALID', 'the new key was already used by a shard of this log')
        // Save the new key before the storage switch, so a crash in between is recoverable at the next start.
        if (keyPath) await savePrivateKey(`${keyPath}.next`, nextKey, false)
        let tree: LogTree
        let rotatedInLock = false
        try {
          tree = await storage.withTreeLock(old.tree.treeId, async (tx) => {
            if (tx.getTree && !(await tx.getTree(old.tree.treeId))?.active)
              throw rotatedElsewhere(old.tree.treeId)
            // The size is read under the old tree's lock and the rotation commits before the lock is released,
            // so the frozen shard's final checkpoint is its last head and the new shard starts right after it.
            const head = await tx.getLatestTreeHead(old.tree.treeId)
            if (!head)
              return fail('TLOG_INCONSISTENT', 'the shard has no signed tree head', {
                treeId: old.tree.treeId,
              })
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
          await read('rotating the shard', () => storage.rotateTree(old.tree.treeId, frozenAt, tree))
        }
        if (keyPath) await rename(`${keyPath}.next`, keyPath)
        await ensureInitialHead(tree, nextKey)
        await currentShards()
        const shard = shards.find((candidate) => candidate.tree.treeId === tree.treeId) ?? toShard(tree)
        active = { shard, key: nextKey }
        logger.info(
          { frozenTreeId: old.tree.treeId, treeId: tree.treeId, startIndex: tree.startIndex },
          'tlog key rotated',
        )
        return shardInfo(shard.tree)
      })
    },

    async exportTrustedRoot(exportOptions) {
      assertOpen()
      return buildTrustedRoot(
        (await currentShards()).map((shard) => shard.tree),
        baseUrl,
        exportOptions,
      )
    },

    async close() {
      if (closed) return
      closed = true
      await batcher.idle()
    },
  }
  return log
}

function createPrivateKeyOrThrow(pem: string): KeyObject {
  try {
    return createPrivateKey(pem)
  } catch (error) {
    return fail('TLOG_KEY_INVALID', 'the pending rotated key file is unreadable', undefined, error)
  }
}
