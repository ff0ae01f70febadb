import type { Logger } from '@certus-trust/core'
import type { Storage } from '@certus-trust/storage'
import type { TransparencyLog } from '@certus-trust/tlog'
import { type DataDir, exists, openDataDir } from './data-dir.js'
import { ServiceError } from './errors.js'
import { openLogBackend } from './log-backend.js'
import { defaultStorageConfig, openStorage } from './storage.js'

/** Options of {@link openDataDirLog}. */
export interface OpenDataDirLogOptions {
  /** Absolute path of the data directory. */
  path: string
  /**
   * Create the directory, database and log key when missing. Without it, a directory that holds no log is
   * `SERVICE_DATA_DIR` (read-only commands). @default false
   */
  create?: boolean
  /** How long to wait for another process holding the directory. @default 30_000 */
  waitMs?: number
  logger?: Logger | undefined
}

/** The embedded transparency log of a data directory, open for this process. */
export interface DataDirLog {
  log: TransparencyLog
  storage: Storage
  dataDir: DataDir
  /** Closes the log and its database and releases the directory. Idempotent. */
  close(): Promise<void>
}

/**
 * Opens a data directory's embedded log — its default storage and its log key (generated on first use) —
 * holding the directory's lock. The server's default configuration opens the very same files, so `certus sign`
 * and a server on one data directory share one log (one at a time).
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
    const hasLog = (await exists(dataDir.databasePath)) || (await exists(dataDir.legacyPGlitePath))
    if (!options.create && !hasLog) {
      throw new ServiceError({
        code: 'SERVICE_DATA_DIR',
        message: `no embedded log in ${dataDir.path}`,
        details: { path: dataDir.path, reason: 'no_log' },
      })
    }
    const opened = await openStorage(defaultStorageConfig(dataDir.path))
    closers.push(() => opened.close())
    const backend = await openLogBackend(
      { transparency: { mode: 'embedded' }, logKeyPath: dataDir.logKeyPath },
      opened.storage,
      { logger: options.logger },
    )
    closers.push(() => backend.close())
    let closing: Promise<void> | undefined
    return {
      log: backend.log as TransparencyLog,
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
