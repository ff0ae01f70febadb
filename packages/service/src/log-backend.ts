import type { Logger } from '@certus-trust/core'
import { type EntryCreator, type LogEntry, RekorError } from '@certus-trust/log-protocol'
import { OwnSignatures } from '@certus-trust/log-protocol/entries'
import { createRekorClient, type RekorClient } from '@certus-trust/rekor'
import type { Storage } from '@certus-trust/storage'
import {
  createTimestampAuthority,
  createTransparencyLog,
  type PresignatureSource,
  type TimestampAuthority,
  TlogError,
  type TransparencyLog,
} from '@certus-trust/tlog/log'
import type { ServiceConfig } from './config.js'
import { RECORD_DUE_SEARCH_KEY } from './reconcile.js'

/** The read side of a transparency log, as both the embedded log and a remote Rekor client offer it. */
export interface LogReader {
  /** `embedded` or `rekor`, for metrics and readiness. */
  readonly backend: string
  /** The entry (with inclusion proof), or undefined when the log does not hold it. */
  getEntry(id: string, signal?: AbortSignal): Promise<LogEntry | undefined>
  /** Entry IDs recorded for `sha256:<hex>`. */
  searchByHash(digest: string, signal?: AbortSignal): Promise<string[]>
  /** Cheap liveness probe. */
  ping(): Promise<void>
}

/**
 * Wraps one call to the log, e.g. to time it and count failures as metrics. Must return (or rethrow) what
 * `call` does.
 */
export type LogCallObserver = <T>(
  labels: { operation: string; backend: string },
  call: () => Promise<T>,
) => Promise<T>

/** Passes the call through unobserved. */
export const unobserved: LogCallObserver = (_labels, call) => call()

/** The chosen log backend: embedded, remote Rekor, or none (transparency off). */
export interface LogBackend {
  /** The embedded log, when transparency is embedded. */
  log?: TransparencyLog | undefined
  /** The embedded Rekor v2 log beside the embedded log, when `rekorV2KeyPath` and its storage are given. */
  rekorV2?: TransparencyLog | undefined
  /** The embedded timestamp authority beside the embedded log, when `tsaKeyPath` is configured. */
  tsa?: TimestampAuthority | undefined
  /** The remote Rekor client, when transparency is remote. */
  rekor?: RekorClient | undefined
  /** Where the signer records entries; `'none'` when transparency is off. */
  witness: EntryCreator | 'none'
  /** The embedded log's ledger of the signer's fresh signatures (its internal path; see `OwnSignatures`). */
  ownSignatures?: OwnSignatures | undefined
  /** Reads entries back; undefined when transparency is off. */
  reader?: LogReader | undefined
  /** Closes what this backend opened (the embedded log). Idempotent. */
  close(): Promise<void>
}

/** What {@link openLogBackend} reads from the service configuration. */
export type LogBackendConfig = Pick<
  ServiceConfig,
  'transparency' | 'logKeyPath' | 'logBaseUrl' | 'tsaKeyPath'
> &
  Partial<Pick<ServiceConfig, 'upstreamTimeoutMs' | 'upstreamRetries' | 'rekorV2KeyPath'>>

/** Options of {@link openLogBackend}. */
export interface OpenLogBackendOptions {
  observe?: LogCallObserver | undefined
  logger?: Logger | undefined
  /** Storage of the embedded Rekor v2 log (see `rekorV2StorageConfig`); without it there is no v2 log. */
  rekorV2Storage?: Storage | undefined
  /** Told how long each inclusion proof of the embedded (v1) log took to build, in seconds. */
  onInclusionProof?: ((seconds: number) => void) | undefined
  /** Presignatures for the embedded (v1) log's SETs (the signing threads' stock), see `createTransparencyLog`. */
  presignatures?: PresignatureSource | undefined
}

/**
 * Opens the log backend `config.transparency` names, over `storage` for the embedded log (and, with
 * `config.rekorV2KeyPath` and `options.rekorV2Storage`, the embedded Rekor v2 log beside it).
 * @throws TlogError / RekorError from the libraries (bad log key, unreachable storage).
 */
export async function openLogBackend(
  config: LogBackendConfig,
  storage: Storage,
  options: OpenLogBackendOptions = {},
): Promise<LogBackend> {
  const observe = options.observe ?? unobserved
  const transparency = config.transparency
  if (transparency.mode === 'embedded') return openEmbedded(config, storage, options, observe)
  if (transparency.mode === 'remote') {
    const rekor = createRekorClient({
      baseUrl: transparency.rekorUrl,
      timeout: config.upstreamTimeoutMs,
      retries: config.upstreamRetries,
      // A retried create that meets 409 resolves to the existing entry; a first one too, so retries stay idempotent.
      fetchOnConflict: true,
      // Entries are immutable once logged: lookups (entry views, bare-signature verification) hit Rekor once per
      // entry, within a bounded LRU. Log info (tree size, checkpoints) is never cached.
      cache: { maxEntries: 1000 },
      ...(options.logger ? { logger: options.logger } : {}),
    })
    return {
      rekor,
      witness: observedCreator(rekor, observe, 'rekor'),
      reader: rekorReader(rekor),
      close: async () => {},
    }
  }
  return { witness: 'none', close: async () => {} }
}

/** The embedded log, and beside it the Rekor v2 log and the timestamp authority when configured. */
async function openEmbedded(
  config: LogBackendConfig,
  storage: Storage,
  options: OpenLogBackendOptions,
  observe: LogCallObserver,
): Promise<LogBackend> {
  const common = {
    ...(config.logBaseUrl ? { baseUrl: config.logBaseUrl } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  }
  const opened: TransparencyLog[] = []
  const close = async () => {
    for (const log of [...opened].reverse()) await log.close().catch(() => {})
  }
  try {
    // Shared with this process's signer only: the log skips re-checking a signature the signer has just made.
    const ownSignatures = new OwnSignatures()
    const log = await createTransparencyLog({
      storage,
      key: { path: config.logKeyPath },
      ownSignatures,
      onInclusionProof: options.onInclusionProof,
      ...(options.presignatures ? { presignatures: options.presignatures } : {}),
      ...common,
    })
    opened.push(log)
    // The v2 log names itself by the same base URL: clients append /api/v2/log/entries to it.
    const rekorV2 =
      config.rekorV2KeyPath && options.rekorV2Storage
        ? await createTransparencyLog({
            storage: options.rekorV2Storage,
            key: { path: config.rekorV2KeyPath, algorithm: 'ecdsa-p256' },
            apiVersion: 2,
            ...common,
          })
        : undefined
    if (rekorV2) opened.push(rekorV2)
    // The embedded timestamp authority lives beside the embedded log (its key material in the data directory).
    const tsa = config.tsaKeyPath
      ? await createTimestampAuthority({ material: { path: config.tsaKeyPath } })
      : undefined
    return {
      log,
      rekorV2,
      tsa,
      witness: embeddedWitness(log, observe),
      ownSignatures,
      reader: embeddedReader(log),
      close: () => close(),
    }
  } catch (error) {
    await close()
    throw error
  }
}

/** Wraps a log's `createEntry` with the observer. */
function observedCreator(creator: EntryCreator, observe: LogCallObserver, backend: string): EntryCreator {
  return {
    createEntry: (entry, options) =>
      observe({ operation: 'create_entry', backend }, () => creator.createEntry(entry, options)),
  }
}

/**
 * The embedded log as a witness that answers a duplicate with the existing entry, as Rekor clients do on 409.
 * ECDSA signatures here are deterministic (RFC 6979), so signing one digest twice with one key proposes the very
 * same entry: the log already holds exactly what we asked for, and that entry is the correct answer. Every entry
 * it appends is marked as due a record (see `reconcileOrphans`), so use it only where records are written.
 */
export function embeddedWitness(log: TransparencyLog, observe: LogCallObserver = unobserved): EntryCreator {
  return observedCreator(
    {
      async createEntry(entry, options) {
        try {
          // The mark commits with the leaf: should the record never be written, reconciliation finds the entry.
          return await log.createEntry(entry, { ...options, searchKeys: [RECORD_DUE_SEARCH_KEY] })
        } catch (error) {
          const existingId = (error as InstanceType<typeof TlogError>).details?.entryId
          if (TlogError.is(error, 'TLOG_ENTRY_CONFLICT') && typeof existingId === 'string') {
            const existing = await log.getEntryByUuid(existingId)
            if (existing) return existing
          }
          throw error
        }
      },
    },
    observe,
    'embedded',
  )
}

function embeddedReader(log: TransparencyLog): LogReader {
  return {
    backend: 'embedded',
    getEntry: (id) => log.getEntryByUuid(id),
    searchByHash: (digest) => log.searchIndex({ hash: digest }),
    ping: async () => {
      await log.getLogInfo()
    },
  }
}

/** A Rekor entry lookup that answers "not there" with undefined instead of an error. */
export async function findRekorEntry(
  client: RekorClient,
  id: string,
  signal?: AbortSignal,
): Promise<LogEntry | undefined> {
  try {
    return await client.getEntryByUuid(id, signal ? { signal } : {})
  } catch (error) {
    if (RekorError.is(error, 'REKOR_NOT_FOUND')) return undefined
    throw error
  }
}

function rekorReader(client: RekorClient): LogReader {
  return {
    backend: 'rekor',
    getEntry: (id, signal) => findRekorEntry(client, id, signal),
    searchByHash: (digest, signal) => client.searchIndex({ hash: digest }, signal ? { signal } : {}),
    ping: async () => {
      await client.getLogInfo()
    },
  }
}
