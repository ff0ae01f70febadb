import type { LogEntry } from '@certus-trust/log-protocol'
import { appendBatch } from './append-batch.js'
import { Batcher, SerialQueue } from './batcher.js'
import { fail } from './errors.js'
import { resolveLogKey } from './log-key.js'
import {
  getConsistencyProof,
  getEntryByIndex,
  getEntryByUuid,
  getLogInfo,
  getPublicKey,
  retrieveEntries,
} from './log-reads.js'
import {
  assertOpen,
  conflict,
  type LogState,
  type QueuedEntry,
  refreshShards,
  resolveSettings,
  shardInfo,
} from './log-state.js'
import type { EntryValidator, TransparencyLog, TransparencyLogOptions } from './log-types.js'
import { openActiveShard } from './open-shard.js'
import { readCheckpoint, readEntryBundle, readTile } from './rekor-v2/tiles.js'
import { rotateKey } from './rotate-key.js'
import { searchIndex } from './search-index.js'
import { read } from './shard.js'
import { buildTrustedRoot } from './trusted-root.js'

export type {
  ConsistencyProof,
  GetEntryOptions,
  LogCreateEntryOptions,
  LogInfo,
  LogShardInfo,
  RetrieveEntriesQuery,
  RotateKeyOptions,
  SearchIndexQuery,
  ShardHeadInfo,
  TransparencyLog,
  TransparencyLogOptions,
} from './log-types.js'
export {
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_TLOG_BASE_URL,
  MAX_RETRIEVE_QUERIES,
  MAX_SEARCH_RESULTS,
} from './log-types.js'

/**
 * Opens (or initialises) an embedded transparency log over a {@link LogStorage}.
 * The steps: resolve the settings and the key, open the active shard, then serve writes through a batcher
 * (`append-batch.ts`) and reads (`log-reads.ts`, `search-index.ts`) over the shared state.
 *
 * @example
 * const storage = createMemoryStorage()
 * const log = await createTransparencyLog({ storage, key: { path: './data/log-key.pem' } })
 * const entry = await log.createEntry(buildHashedRekordProposedEntry({ digest, signature, publicKeyPem }))
 *
 * @throws TlogError `TLOG_KEY_INVALID`, `TLOG_KEY_MISMATCH` (storage holds a log signed by another key),
 * `TLOG_INVALID_REQUEST` (bad options), `TLOG_STORAGE_FAILED`.
 */
export function createTransparencyLog(options: TransparencyLogOptions): Promise<TransparencyLog> {
  return openTransparencyLog(options, undefined)
}

/**
 * @internal {@link createTransparencyLog} with another entry check: for the log's own benchmark, which feeds
 * pre-built entries to measure the log rather than signature checks. Not exported from the package: no caller of
 * the package can switch a log's checks off.
 */
export async function openTransparencyLog(
  options: TransparencyLogOptions,
  validator: EntryValidator | undefined,
): Promise<TransparencyLog> {
  const settings = resolveSettings(options, validator)
  const resolved = await resolveLogKey(options.key, settings.algorithm)
  // A v2 checkpoint's key hint is the C2SP key ID; for ECDSA that is the v1 hint our note signer writes.
  if (settings.apiVersion === 2 && resolved.key.algorithm !== 'ecdsa-p256')
    fail('TLOG_KEY_INVALID', 'a Rekor v2 log key must be ECDSA P-256')
  const opened = await openActiveShard(settings, resolved.key, resolved.path)
  const state: LogState = {
    ...settings,
    keyPath: resolved.path,
    shards: opened.shards,
    active: opened.active,
    closed: false,
    serial: new SerialQueue(),
    treeReadsUnderLock: false,
  }
  const batcher = new Batcher<QueuedEntry, LogEntry>({
    maxBatchSize: settings.maxBatchSize,
    process: (items) => appendBatch(state, items),
    serial: state.serial,
  })

  return {
    baseUrl: settings.baseUrl,
    apiVersion: settings.apiVersion,
    async createEntry(proposed, createOptions = {}) {
      assertOpen(state)
      if (createOptions.signal?.aborted)
        fail('TLOG_ABORTED', 'the request was aborted', undefined, createOptions.signal.reason)
      // The internal path: only this log's own ledger object (never a value from a request) lets validation
      // accept a signature its signer has just made without checking it again.
      const own = state.ownSignatures !== undefined && createOptions.ownSignatures === state.ownSignatures
      const validated = await state.validate(proposed, {
        ...(createOptions.artifact === undefined ? {} : { artifact: createOptions.artifact }),
        ...(own ? { ownSignatures: state.ownSignatures } : {}),
      })
      const entry = createOptions.searchKeys?.length
        ? { ...validated, searchKeys: [...validated.searchKeys, ...createOptions.searchKeys] }
        : validated
      // Frozen shards never change, so their duplicates can be checked outside the write lock.
      for (const shard of state.shards) {
        if (shard.tree.active) continue
        const leaf = await read('checking for duplicates', () =>
          state.storage.getLeafByHash(shard.tree.treeId, entry.leafHash),
        )
        if (leaf) throw conflict(shard, entry.leafHash, shard.tree.startIndex + leaf.leafIndex)
      }
      return batcher.enqueue({ entry, signal: createOptions.signal })
    },
    getEntryByUuid: (id, getOptions) => getEntryByUuid(state, id, getOptions),
    getEntryByIndex: (logIndex, getOptions) => getEntryByIndex(state, logIndex, getOptions),
    retrieveEntries: (query) => retrieveEntries(state, query),
    searchIndex: (query) => searchIndex(state, query),
    getLogInfo: () => getLogInfo(state),
    getConsistencyProof: (input) => getConsistencyProof(state, input),
    getPublicKey: (keyOptions) => getPublicKey(state, keyOptions),
    async listShards() {
      assertOpen(state)
      return (await refreshShards(state)).map((shard) => shardInfo(shard.tree))
    },
    async rotateKey(rotateOptions = {}) {
      if (settings.apiVersion === 2) {
        fail('TLOG_INVALID_REQUEST', 'a Rekor v2 log has one key: start a new log at a new URL instead')
      }
      return rotateKey(state, rotateOptions)
    },
    getCheckpoint: () => readCheckpoint(state),
    readTile: (level, index, width) => readTile(state, level, index, width),
    readEntryBundle: (index, width) => readEntryBundle(state, index, width),
    async exportTrustedRoot(exportOptions) {
      assertOpen(state)
      return buildTrustedRoot(
        (await refreshShards(state)).map((shard) => shard.tree),
        settings.baseUrl,
        { ...exportOptions, checkpointKeyId: settings.apiVersion === 2 },
      )
    },
    async close() {
      if (state.closed) return
      state.closed = true
      await batcher.idle()
    },
  }
}
