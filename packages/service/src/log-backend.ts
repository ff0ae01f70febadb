import type { Logger } from '@certus-trust/core'
import {
  createRekorClient,
  type EntryCreator,
  type LogEntry,
  type RekorClient,
  RekorError,
} from '@certus-trust/rekor'
import type { Storage } from '@certus-trust/storage'
import {
  createTimestampAuthority,
  createTransparencyLog,
  type TimestampAuthority,
  TlogError,
  type TransparencyLog,
} from '@certus-trust/tlog'
import type { ServiceConfig } from './config.js'

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
  /** The embedded timestamp authority beside the embedded log, when `tsaKeyPath` is configured. */
  tsa?: TimestampAuthority | undefined
  /** The remote Rekor client, when transparency is remote. */
  rekor?: RekorClient | undefined
  /** Where the signer records entries; `'none'` when transparency is off. */
  witness: EntryCreator | 'none'
  /** Reads entries back; undefined when transparency is off. */
  reader?: LogReader | undefined
  /** Closes what this backend opened (the embedded log). Idempotent. */
  close(): Promise<void>
}

/**
 * Opens the log backend `config.transparency` names, over `storage` for the embedded log.
 * @throws TlogError / RekorError from the libraries (bad log key, unreachable storage).
 */
export async function openLogBackend(
  config: Pick<ServiceConfig, 'transparency' | 'logKeyPath' | 'logBaseUrl' | 'tsaKeyPath'> &
    Partial<Pick<ServiceConfig, 'upstreamTimeoutMs' | 'upstreamRetries'>>,
  storage: Storage,
  options: { observe?: LogCallObserver | undefined; logger?: Logger | undefined } = {},
): Promise<LogBackend> {
  const observe = options.observe ?? unobserved
  const transparency = config.transparency
  if (transparency.mode === 'embedded') {
    const log = await createTransparencyLog({
      storage,
      key: { path: config.logKeyPath },
      ...(config.logBaseUrl ? { baseUrl: config.logBaseUrl } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    })
    try {
      // The embedded timestamp authority lives beside the embedded log (its key material in the data directory).
      const tsa = config.tsaKeyPath
        ? await createTimestampAuthority({ material: { path: config.tsaKeyPath } })
        : undefined
      return {
        log,
        tsa,
        witness: embeddedWitness(log, observe),
        reader: embeddedReader(log),
        close: () => log.close(),
      }
    } catch (error) {
      await log.close().catch(() => {})
      throw error
    }
  }
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
 * same entry: the log already holds exactly what we asked for, and that entry is the correct answer.
 */
export function embeddedWitness(log: TransparencyLog, observe: LogCallObserver = unobserved): EntryCreator {
  return observedCreator(
    {
      async createEntry(entry, options) {
        try {
          return await log.createEntry(entry, options)
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
