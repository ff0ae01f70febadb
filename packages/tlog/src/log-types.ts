import type { KeyObject } from 'node:crypto'
import type { Logger } from '@certus-trust/core'
import type { CreateEntryOptions, EntryCreator, LogEntry } from '@certus-trust/log-protocol'
import type { OwnSignatures, ProposedEntry } from '@certus-trust/log-protocol/entries'
import type { LogStorage } from '@certus-trust/storage'
import type { ValidatedEntry } from './entry-validation.js'
import type { LogKeyAlgorithm, LogKeySource } from './log-key.js'
import type { PresignatureSource } from './log-signature.js'
import type { ExportTrustedRootOptions, TrustedRootJson } from './trusted-root.js'

/** Base URL a log names itself by when none is configured (checkpoint key name = its host). */
export const DEFAULT_TLOG_BASE_URL = 'https://tlog.certus-trust.local'

/** Default largest number of entries committed in one batch (one transaction, one checkpoint). */
export const DEFAULT_MAX_BATCH_SIZE = 512

/** Rekor's limit on the number of queries in one retrieve request. */
export const MAX_RETRIEVE_QUERIES = 10

/** Default and largest number of entry IDs a search returns. */
export const MAX_SEARCH_RESULTS = 1000

/**
 * How a log checks a proposed entry before appending it (the default: a full check of the entry and signature).
 * Asynchronous: a signature check over a bare digest loads the curve arithmetic on first use.
 */
export type EntryValidator = (
  proposed: unknown,
  options: { artifact?: Uint8Array; ownSignatures?: OwnSignatures },
) => Promise<ValidatedEntry>

/** Options of {@link createTransparencyLog}. */
export interface TransparencyLogOptions {
  /** Where leaves, nodes, tree heads and shards live. The log never closes it: whoever created it does. */
  storage: LogStorage
  /**
   * Told how long each inclusion proof took to build (reading the head and the proof's nodes), e.g. for a metric;
   * entry reads otherwise time the proof together with the leaf lookup. Must not throw.
   */
  onInclusionProof?: ((seconds: number) => void) | undefined
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
  /**
   * Which Rekor API the log speaks. `1`: hashedrekord/dsse 0.0.1 entries, `<origin> - <treeID>` checkpoints and a
   * signed entry timestamp per entry. `2` (rekor-tiles): `CreateEntryRequest`s become hashedrekord/dsse 0.0.2 entries,
   * the checkpoint origin is the bare `origin`, there is no SET (time comes from RFC 3161 timestamps), the key must
   * be ECDSA P-256 and the log has one shard (a v2 log is rotated by starting a new log at a new URL).
   * A v2 log needs storage of its own: storage holds one active tree. @default 1
   */
  apiVersion?: 1 | 2
  /**
   * The ledger of signatures this process's own signer has just made (`OwnSignatures` from `@certus-trust/log-protocol/entries`).
   * `createEntry` skips its second check of such a signature only when the call hands over this same ledger
   * object (the signer's internal path); entries from the Rekor API or any other caller are always verified.
   */
  ownSignatures?: OwnSignatures
  /**
   * ECDSA presignatures made off this thread, e.g. the signer's signing threads'
   * (`SigningThreads.presignatures('ecdsa-p256')`): while the stock lasts, each signed entry timestamp and checkpoint
   * of an ECDSA P-256 log is finished from one (two multiplications) instead of signed whole on the thread that
   * holds the log.
   * The log never closes the source: whoever created it does.
   */
  presignatures?: PresignatureSource
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

/** Options of {@link TransparencyLog.createEntry}: rekor's, plus what only an in-process caller can ask. */
export interface LogCreateEntryOptions extends CreateEntryOptions {
  /**
   * Extra search keys stored with the leaf in the append's own transaction, e.g. a mark that a record of the entry
   * is due (the service reconciles marked entries that have none). Never returned by the Rekor search API, whose
   * queries only produce `sha256:`, `pubkey:` and `email:` keys.
   */
  searchKeys?: readonly string[]
}

/**
 * An embedded, Rekor v1-compatible transparency log. Implements rekor's {@link EntryCreator}, so the signer can use
 * it wherever it would use a remote Rekor.
 */
export interface TransparencyLog extends EntryCreator {
  /** The base URL the log names itself by. */
  readonly baseUrl: string
  /** The Rekor API the log speaks (see {@link TransparencyLogOptions.apiVersion}). */
  readonly apiVersion: 1 | 2
  /** Validates, appends and acknowledges an entry (with inclusion proof, checkpoint and SET) once it is committed. */
  createEntry(entry: ProposedEntry | unknown, options?: LogCreateEntryOptions): Promise<LogEntry>
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
  /** The latest signed checkpoint (note text) of the active shard: the C2SP tlog-tiles `checkpoint`. */
  getCheckpoint(): Promise<string>
  /**
   * A C2SP tlog-tiles hash tile of the active shard: `width` hashes (1..256) of tile `index` at tile level `level`,
   * concatenated; undefined while the tree is too small to hold them.
   * @throws TlogError `TLOG_INVALID_REQUEST` for a level, index or width out of range.
   */
  readTile(level: number, index: number, width: number): Promise<Uint8Array | undefined>
  /**
   * A C2SP tlog-tiles entry bundle: entries `index·256 ..` (`width` of them), each a big-endian 16-bit length and
   * the canonical body; undefined while the tree is too small.
   * @throws TlogError `TLOG_INVALID_REQUEST` for an index or width out of range.
   */
  readEntryBundle(index: number, width: number): Promise<Uint8Array | undefined>
  /** A Sigstore TrustedRoot JSON naming every shard of this log. */
  exportTrustedRoot(options?: ExportTrustedRootOptions): Promise<TrustedRootJson>
  /** Waits for queued entries, then refuses new calls. Idempotent. Does not close the storage. */
  close(): Promise<void>
}
