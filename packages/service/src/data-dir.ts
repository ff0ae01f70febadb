import { access, mkdir } from 'node:fs/promises'
import type { DirectoryLock } from '@certus-trust/storage-postgres'
import { ServiceError } from './errors.js'
import { type DataDirLayout, DEFAULT_LOCK_WAIT_MS, dataDirLayout } from './layout.js'

/**
 * An open data directory: its layout. Its SQLite database is shared safely by several processes (a `certus`
 * command and a server); only a legacy PGlite database is single-process, and then this process holds the
 * directory's lock until `release()`.
 */
export interface DataDir extends DataDirLayout {
  /** Releases the directory lock, if one was taken. Idempotent. */
  release(): Promise<void>
}

/** Options of {@link openDataDir}. */
export interface OpenDataDirOptions {
  /** Absolute path of the directory. */
  path: string
  /** Create the directory (mode 0700) when it does not exist. @default false */
  create?: boolean
  /** How long to wait for another process holding the lock. @default 30_000 */
  waitMs?: number
}

/**
 * Opens (and with `create`, creates with mode 0700) a data directory and takes its lock, waiting for another
 * process to finish. A lock left by a process that no longer runs is taken over.
 *
 * @throws ServiceError `SERVICE_DATA_DIR` when the directory is missing (without `create`), cannot be created
 *   or stays locked (`details.reason`: `missing`, `create_failed`, `locked`; `details.pid` names the holder).
 */
export async function openDataDir(options: OpenDataDirOptions): Promise<DataDir> {
  const { path } = options
  if (!(await exists(path))) {
    if (!options.create) {
      throw new ServiceError({
        code: 'SERVICE_DATA_DIR',
        message: `data directory ${path} does not exist`,
        details: { path, reason: 'missing' },
      })
    }
    await createDirectory(path)
  }
  const layout = dataDirLayout(path)
  // SQLite serialises writers itself; PGlite allows one process per database, so a legacy one is locked.
  const legacyPGlite = !(await exists(layout.databasePath)) && (await exists(layout.legacyPGlitePath))
  if (!legacyPGlite) return { ...layout, release: async () => {} }
  const lock = await lockDirectory(path, options.waitMs ?? DEFAULT_LOCK_WAIT_MS)
  return { ...layout, release: () => lock.release() }
}

/**
 * Takes the lock the server and the CLI take on a data directory, so two processes never open one
 * single-process database at once.
 * @throws ServiceError `SERVICE_DATA_DIR`
 */
export async function lockDirectory(path: string, waitMs: number): Promise<DirectoryLock> {
  try {
    const { acquireDirectoryLock } = await import('@certus-trust/storage-postgres')
    return await acquireDirectoryLock(path, { waitMs })
  } catch (error) {
    const pid = (error as { details?: { pid?: unknown } }).details?.pid
    throw new ServiceError({
      code: 'SERVICE_DATA_DIR',
      message:
        typeof pid === 'number'
          ? `data directory ${path} holds a PGlite database, which process ${pid} has open (PGlite allows one process: stop it, or move to SQLite — see docs/operations.md)`
          : `cannot lock data directory ${path}`,
      cause: error,
      details: { path, reason: 'locked', ...(typeof pid === 'number' ? { pid } : {}) },
    })
  }
}

async function createDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 })
  } catch (error) {
    throw new ServiceError({
      code: 'SERVICE_DATA_DIR',
      message: `cannot create data directory ${path}`,
      cause: error,
      details: { path, reason: 'create_failed' },
    })
  }
}

/** Whether anything exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
