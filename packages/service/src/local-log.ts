import type { Logger } from '@certus-trust/core'
import type { OwnSignatures } from '@certus-trust/log-protocol/entries'
import type { Storage } from '@certus-trust/storage'
import type { TimestampAuthority, TransparencyLog } from '@certus-trust/tlog'
import { type DataDir, exists, openDataDir } from './data-dir.js'
import { ServiceError } from './errors.js'
import { openLogBackend } from './log-backend.js'
import { reconcileOrphans } from './reconcile.js'
import { defaultStorageConfig, openStorage, rekorV2StorageConfig } from './storage.js'

/** Options of {@link openDataDirLog}. */
export interface OpenDataDirLogOptions {
  /** Absolute path of the data directory. */
  path: string
  /**
   * Create the directory, database and log key when missing. Without it, a directory that holds no log is
   * `SERVICE_DATA_DIR` (read-only commands). @default false
   */
  create?: boolean
  /**
   * Also open the embedded Rekor v2 log and the timestamp authority (created with `create`, else only when the
   * directory holds them), e.g. to export trust material. Commands that only append or read leave them closed.
   * @default false
   */
  services?: boolean
  /**
   * The base URL the logs name themselves by (checkpoint key names); pass the server's `CERTUS_TRUST_LOG_BASE_URL`
   * so exported trust material matches what the server signs. @default tlog's default
   */
  baseUrl?: string | undefined
  /** How long to wait for another process holding the directory. @default 30_000 */
  waitMs?: number
  logger?: Logger | undefined
}

/** The embedded transparency log of a data directory, open for this process. */
export interface DataDirLog {
  log: TransparencyLog
  /**
   * The log's ledger of this process's own fresh signatures: hand it to the signer (`createSigner({ ownSignatures })`)
   * so the log does not check a signature it has just watched being made (see `OwnSignatures`).
   */
  ownSignatures?: OwnSignatures | undefined
  /** The embedded Rekor v2 log (with `services`: created with `create`, else opened when the directory holds one). */
  rekorV2?: TransparencyLog | undefined
  /** The embedded timestamp authority (with `services`, like `rekorV2`). */
  tsa?: TimestampAuthority | undefined
  storage: Storage
  dataDir: DataDir
  /** Closes the log and its database and releases the directory. Idempotent. */
  close(): Promise<void>
}

/**
 * Opens a data directory's embedded log — its default storage and its log key (generated on first use) —
 * holding the directory's lock. The server's default configuration opens the very same files, so `certus sign`
 * and a server on one data directory share one log (one at a time). Entries a server signed whose record write
 * never happened (it was killed in between) get their record on opening (see `reconcileOrphans`).
 *
 * @throws ServiceError `SERVICE_DATA_DIR` when the directory is missing, locked, or (without `create`) holds no log.
 */
export async function openDataDirLog(options: OpenDataDirLogOptions): Promise<DataDirLog> {
  const dataDir = await openDataDir({
    path: options.path,
    create: options.create ?? false,
    ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
  })
  const closers: Array<() => Promise<void>> = [() => dataDir.release()]
  const closeAll = async () => {
    for (let next = closers.pop(); next; next = closers.pop()) await next().catch(() => undefined)
  }
  try {
    // Only a command that must not create a log asks whether there is one (each check is a file-system round trip).
    const hasLog =
      options.create || (await exists(dataDir.databasePath)) || (await exists(dataDir.legacyPGlitePath))
    if (!hasLog) {
      throw new ServiceError({
        code: 'SERVICE_DATA_DIR',
        message: `no embedded log in ${dataDir.path}`,
        details: { path: dataDir.path, reason: 'no_log' },
      })
    }
    const storageConfig = defaultStorageConfig(dataDir.path)
    const opened = await openStorage(storageConfig)
    closers.push(() => opened.close())
    // The server's default configuration keeps these beside the log; read-only commands never create them.
    const services = options.services === true
    const withRekorV2 = services && (options.create === true || (await exists(dataDir.rekorV2DatabasePath)))
    const withTsa = services && (options.create === true || (await exists(dataDir.tsaKeyPath)))
    const rekorV2Storage = withRekorV2 ? await openStorage(rekorV2StorageConfig(storageConfig)) : undefined
    if (rekorV2Storage) closers.push(() => rekorV2Storage.close())
    const backend = await openLogBackend(
      {
        transparency: { mode: 'embedded' },
        logKeyPath: dataDir.logKeyPath,
        rekorV2KeyPath: dataDir.rekorV2KeyPath,
        tsaKeyPath: withTsa ? dataDir.tsaKeyPath : undefined,
        logBaseUrl: options.baseUrl,
      },
      opened.storage,
      { logger: options.logger, rekorV2Storage: rekorV2Storage?.storage },
    )
    closers.push(() => backend.close())
    // This process holds the directory's lock, so no signing can be in flight: entries a killed server left
    // without records get them now (cheap: only entries signed since the last reconciliation are examined).
    await reconcileOrphans({
      storage: opened.storage,
      log: backend.log as TransparencyLog,
      logger: options.logger,
    })
    let closing: Promise<void> | undefined
    return {
      log: backend.log as TransparencyLog,
      ownSignatures: backend.ownSignatures,
      rekorV2: backend.rekorV2,
      tsa: backend.tsa,
      storage: opened.storage,
      dataDir,
      close: () => {
        closing ??= closeAll()
        return closing
      },
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}
