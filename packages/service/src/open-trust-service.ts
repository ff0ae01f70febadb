import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Logger } from '@certus-trust/core'
import type { RekorClient } from '@certus-trust/rekor'
import { createSigningThreads, type Signer, type SigningThreads } from '@certus-trust/signer'
import type { Storage } from '@certus-trust/storage'
import type { TimestampAuthority, TransparencyLog } from '@certus-trust/tlog'
import type { ServiceConfig } from './config.js'
import { lockDirectory } from './data-dir.js'
import { type LogCallObserver, openLogBackend } from './log-backend.js'
import { observedStorage } from './observed-storage.js'
import { type ReconcileResult, reconcileOrphans } from './reconcile.js'
import { createConfiguredSigner } from './signing.js'
import { type OpenedStorage, openStorage, type PoolStats, rekorV2StorageConfig } from './storage.js'
import { type StorageGrowth, storageGrowth } from './storage-growth.js'
import { createTrustService } from './trust-service.js'
import type { TrustService } from './types.js'
import { observeUpstreamCalls, type UpstreamCallObserver } from './upstream-calls.js'
import { createVerifierSet, loadBaseTrustedRoot } from './verifiers.js'

/** Options of {@link openTrustService}. */
export interface OpenTrustServiceOptions {
  /** Receives the libraries' logs. @default no-op */
  logger?: Logger | undefined
  /** Wraps every call to the log, e.g. for metrics. @default calls through */
  observeLogCall?: LogCallObserver | undefined
  /** Wraps every database operation of storage (records and the embedded log's tables). @default calls through */
  observeStorageCall?: LogCallObserver | undefined
  /** Told how long each inclusion proof of the embedded log took to build, in seconds. @default ignored */
  onInclusionProof?: ((seconds: number) => void) | undefined
  /** Told how long each PostgreSQL pool acquisition waited, in seconds. @default ignored */
  onPoolWait?: ((seconds: number) => void) | undefined
  /** Told of every request to the configured Fulcio and timestamp authority, until `close()`. @default none */
  observeUpstreamCall?: UpstreamCallObserver | undefined
}

/** Options of {@link OpenedTrustService.reconcile}. */
export interface ReconcileRunOptions {
  /**
   * Leave entries integrated less than this many seconds ago alone (their signing may still be writing the
   * record). @default 0
   */
  graceSeconds?: number
}

/** A trust service and everything it runs on, open until `close()`. */
export interface OpenedTrustService {
  service: TrustService
  storage: Storage
  /** `memory`, `pglite` or `postgres`. */
  storageBackend: string
  /** The PostgreSQL pool's usage, when storage is PostgreSQL. */
  poolStats?: (() => PoolStats) | undefined
  /** How much is stored now (log entries, database bytes), e.g. for growth gauges. */
  storageGrowth(): Promise<StorageGrowth>
  /** The embedded log, when transparency is embedded. */
  log?: TransparencyLog | undefined
  /** The embedded Rekor v2 log, beside the embedded log (when `rekorV2KeyPath` is configured). */
  rekorV2?: TransparencyLog | undefined
  /** The embedded timestamp authority, beside the embedded log. */
  tsa?: TimestampAuthority | undefined
  /** The remote Rekor client, when transparency is remote. */
  rekor?: RekorClient | undefined
  signer: Signer
  /** PEM public key of the signing key; undefined when keyless. */
  signingPublicKeyPem?: string | undefined
  /**
   * Writes the record of every embedded-log entry signed here whose record write never happened (a crash between
   * append and record). A no-op (`supported: false`) without an embedded log.
   */
  reconcile(options?: ReconcileRunOptions): Promise<ReconcileResult>
  /** Closes the log, then storage, then releases the data directory (reverse order of creation). Idempotent. */
  close(): Promise<void>
}

/** Closers run last-in first-out; a failing one is logged and the rest still run. */
function createCloser(logger: Logger | undefined) {
  const closers: Array<() => Promise<void>> = []
  let closing: Promise<void> | undefined
  const run = async () => {
    for (const close of closers.reverse()) {
      await close().catch((error: unknown) => logger?.error({ err: error }, 'error while closing'))
    }
    closers.length = 0
  }
  return {
    push: (close: () => Promise<void>) => closers.push(close),
    close: () => {
      closing ??= run()
      return closing
    },
  }
}

/** Whether the configuration keeps anything (keys, embedded database) in the data directory. */
function usesDataDir(config: ServiceConfig): boolean {
  return (
    config.storage.kind === 'pglite' ||
    config.storage.kind === 'sqlite' ||
    config.transparency.mode === 'embedded' ||
    (!config.keyless.enabled &&
      config.signingKeyUri === undefined &&
      config.signingKeyPath.startsWith(config.dataDir))
  )
}

/**
 * Digests one event-loop turn must queue before the signing threads start (ADR 0014): 8 requests in flight never
 * queue more than 8 (and threads did not raise their throughput on SQLite), while 64 in flight queue 16 or more in
 * most turns (and threads do).
 */
const SIGNING_THREADS_MIN_BATCH = 16

/** Worker threads for a PEM signing key's digest signatures, when the config asks for any; started on demand. */
function openSigningThreads(config: ServiceConfig): SigningThreads | undefined {
  const count = config.signingThreads ?? 0
  if (count < 1 || config.keyless.enabled || config.signingKeyUri !== undefined) return undefined
  return createSigningThreads(count, { minBatch: SIGNING_THREADS_MIN_BATCH })
}

/** The embedded Rekor v2 log's own storage (see `rekorV2StorageConfig`), when the config asks for that log. */
async function openRekorV2Storage(config: ServiceConfig): Promise<OpenedStorage | undefined> {
  if (config.transparency.mode !== 'embedded' || !config.rekorV2KeyPath) return undefined
  return openStorage(rekorV2StorageConfig(config.storage), {
    // The v2 log writes one batch at a time and reads tiles: a few connections are plenty.
    poolSize: Math.min(config.databasePoolSize, 4),
    ...(config.databaseStatementTimeoutMs === undefined
      ? {}
      : { statementTimeoutMs: config.databaseStatementTimeoutMs }),
    ...(config.databaseConnectTimeoutMs === undefined
      ? {}
      : { connectTimeoutMs: config.databaseConnectTimeoutMs }),
  })
}

/**
 * Builds storage, the transparency log (embedded, remote Rekor, or none), the signer and the verifiers from
 * `config` — generating the signing and log keys (mode 0600) on first start — and composes the trust service.
 * The server and `certus serve` call it through the server's `createServerDeps`; embedding callers call it
 * directly. On failure, whatever was opened is closed again.
 *
 * @throws ServiceError `SERVICE_UNAVAILABLE` (storage), `SERVICE_DATA_DIR` (locked), `SERVICE_CONFIG_INVALID`
 *   (unreadable key or trusted root); library errors for bad keys.
 * @example
 * const opened = await openTrustService(config, { logger })
 * await opened.service.sign(request, { requestId: 'r1', caller: 'anonymous' })
 * await opened.close()
 */
export async function openTrustService(
  config: ServiceConfig,
  options: OpenTrustServiceOptions = {},
): Promise<OpenedTrustService> {
  const { logger } = options
  const closer = createCloser(logger)
  try {
    if (options.observeUpstreamCall) {
      const stop = observeUpstreamCalls(
        { fulcioUrl: config.keyless.fulcioUrl, tsaUrl: config.tsaUrl },
        options.observeUpstreamCall,
      )
      closer.push(async () => stop())
    }
    if (usesDataDir(config)) await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
    if (config.storage.kind === 'pglite') {
      // The embedded database is single-process: hold the same lock `certus` takes on its data directory.
      const lock = await lockDirectory(dirname(config.storage.dataDir), 5_000)
      closer.push(() => lock.release())
    }
    const opened = await openStorage(config.storage, {
      poolSize: config.databasePoolSize,
      onPoolWait: options.onPoolWait,
      ...(config.databaseStatementTimeoutMs === undefined
        ? {}
        : { statementTimeoutMs: config.databaseStatementTimeoutMs }),
      ...(config.databaseConnectTimeoutMs === undefined
        ? {}
        : { connectTimeoutMs: config.databaseConnectTimeoutMs }),
    })
    closer.push(() => opened.close())
    const storage = options.observeStorageCall
      ? observedStorage(opened.storage, options.observeStorageCall)
      : opened.storage
    const rekorV2Storage = await openRekorV2Storage(config)
    if (rekorV2Storage) closer.push(() => rekorV2Storage.close())
    // Before the log: while they run, they also keep a stock of presignatures for its SETs.
    const signingThreads = openSigningThreads(config)
    if (signingThreads) closer.push(() => signingThreads.close())
    const backend = await openLogBackend(config, storage, {
      observe: options.observeLogCall,
      logger,
      rekorV2Storage: rekorV2Storage?.storage,
      onInclusionProof: options.onInclusionProof,
      presignatures: signingThreads?.presignatures('ecdsa-p256'),
    })
    closer.push(() => backend.close())
    const signer = await createConfiguredSigner(
      config,
      backend.witness,
      logger,
      backend.ownSignatures,
      signingThreads,
    )
    const signingPublicKeyPem = await signer.publicKey()
    const baseRoot = await loadBaseTrustedRoot(config.trustedRootPath, {
      tuf: config.tuf,
      maxAgeDays: config.trustRootMaxAgeDays,
      warn: (message) => logger?.warn({}, message),
    })
    const verifiers = await createVerifierSet(baseRoot, backend, {
      verifyThreads: config.verifyThreads,
      verifyThreadsMinBatch: config.verifyThreadsMinBatch,
    })
    if (verifiers.close) closer.push(verifiers.close)
    const service = createTrustService({
      storage,
      signer,
      verifiers,
      log: backend.reader,
      signingPublicKeyPem,
      observeLogCall: options.observeLogCall,
      logger,
    })
    return {
      service,
      storage,
      storageBackend: opened.storage.backend,
      poolStats: opened.poolStats,
      storageGrowth: () => storageGrowth(config.storage, backend.log, opened.databaseBytes),
      log: backend.log,
      rekorV2: backend.rekorV2,
      tsa: backend.tsa,
      rekor: backend.rekor,
      signer,
      signingPublicKeyPem,
      reconcile: async (run = {}) =>
        backend.log
          ? reconcileOrphans({ storage, log: backend.log, logger, ...run })
          : { orphans: 0, reconciled: 0, failed: 0, supported: false },
      close: closer.close,
    }
  } catch (error) {
    await closer.close()
    throw error
  }
}
