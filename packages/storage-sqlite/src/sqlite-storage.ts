import { constants } from 'node:fs'
import { access, mkdir, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import { type Storage, StorageError } from '@certus-trust/storage'
import { logErrors } from '@certus-trust/storage/backend'
import { SqliteConnection } from './connection.js'
import { createSqliteLog } from './log.js'
import { applyMigrations, checkDatabaseIdentity, type MigrationResult, readSchemaVersion } from './migrate.js'
import { parseSqliteOptions, type SqliteSettings } from './options.js'
import { createSqliteRecords, type OperationContext } from './records.js'
import { LATEST_SCHEMA_VERSION } from './schema.js'
import { toStorageError } from './sqlite-errors.js'
import { createSqliteUnrecorded } from './unrecorded.js'
import { Writer } from './writer.js'

// SQLite's own busy handler waits this long synchronously before the writer retries with the event loop free.
const SYNC_BUSY_WAIT_MS = 50

/** Options of {@link createSqliteStorage}. */
export interface SqliteStorageOptions {
  /** Path of the database file; created (with its directory, mode 0700) when missing. */
  path: string
  /**
   * Apply pending migrations before returning (same as calling `migrate()`).
   * @default false
   */
  migrate?: boolean
  /**
   * How long a write waits for another process (a `certus` command, a server) that holds the database's
   * write lock before failing with `STORAGE_BUSY`. Write transactions last milliseconds.
   * @default 5000
   */
  busyTimeoutMs?: number
  /**
   * Caps the database file's size: a write that would grow it beyond fails with `STORAGE_FULL` and is
   * rolled back, exactly as on a full disk (`PRAGMA max_page_count`).
   * @default undefined (no cap beyond the disk)
   */
  maxSizeBytes?: number
}

/** A SQLite-backed {@link Storage} with schema management. */
export interface SqliteStorage extends Storage {
  /** Absolute path of the database file. */
  readonly path: string
  /**
   * Applies pending migrations in one transaction (idempotent; safe when several processes start at once).
   * @throws StorageError `STORAGE_SCHEMA_TOO_NEW`, `STORAGE_CONFLICT` (an applied migration was edited),
   * `STORAGE_BUSY`, `STORAGE_FULL`, `STORAGE_READ_ONLY`, `STORAGE_CLOSED`
   */
  migrate(): Promise<MigrationResult>
  /** The database's applied schema version (0 when not migrated) and the newest this package ships. */
  schemaVersion(): Promise<{ current: number; latest: number }>
}

/** Typed errors for what the file system says about the path, before SQLite's vaguer "cannot open". */
async function prepareLocation(path: string): Promise<void> {
  const directory = dirname(path)
  const fail = (code: StorageError['code'], message: string, cause?: unknown) =>
    new StorageError({ code, message, details: { path }, cause })
  const info = await stat(path).catch(() => undefined)
  if (info?.isDirectory())
    throw fail('STORAGE_INVALID_OPTIONS', `${path} is a directory, not a database file`)
  try {
    // An existing file's directory exists: no mkdir round trip then.
    if (!info) await mkdir(directory, { recursive: true, mode: 0o700 })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOSPC') throw fail('STORAGE_FULL', `cannot create ${directory}: the disk is full`, error)
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
      throw fail('STORAGE_READ_ONLY', `cannot create ${directory}: it is not writable`, error)
    throw fail('STORAGE_INVALID_OPTIONS', `cannot create ${directory}`, error)
  }
  // SQLite writes the file, its -wal and its -shm next to each other: both must be writable (checked together).
  const targets = info ? [path, directory] : [directory]
  const denied = await Promise.all(
    targets.map((target) =>
      access(target, constants.W_OK).then(
        () => undefined,
        (error: unknown) => error,
      ),
    ),
  )
  const index = denied.findIndex((error) => error !== undefined)
  if (index >= 0) {
    throw fail(
      'STORAGE_READ_ONLY',
      `${targets[index]} is not writable (the database needs it for its file and WAL)`,
      denied[index],
    )
  }
}

/** Opens the two connections: the writer (checked, then switched to WAL) and a query-only reader. */
function openConnections(
  Database: typeof DatabaseSync,
  path: string,
  settings: SqliteSettings,
): { reader: SqliteConnection; writer: SqliteConnection } {
  const opened: SqliteConnection[] = []
  try {
    const writer = new SqliteConnection(
      new Database(path, { timeout: Math.min(SYNC_BUSY_WAIT_MS, settings.busyTimeoutMs) }),
    )
    opened.push(writer)
    // Identify the file before writing anything to it: a foreign, corrupt or newer database stays untouched.
    checkDatabaseIdentity(writer, path)
    const mode = writer.get('PRAGMA journal_mode = WAL')?.journal_mode
    if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, not wal`)
    // FULL: every commit fsyncs the WAL, so an acknowledged entry survives power loss too (ADR 0002).
    writer.exec('PRAGMA synchronous = FULL')
    writer.exec('PRAGMA foreign_keys = ON')
    if (settings.maxSizeBytes !== undefined) {
      const pageSize = Number(writer.get('PRAGMA page_size')?.page_size ?? 4096)
      writer.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(settings.maxSizeBytes / pageSize))}`)
    }
    const reader = new SqliteConnection(new Database(path, { timeout: settings.busyTimeoutMs }))
    opened.push(reader)
    reader.exec('PRAGMA query_only = ON')
    return { reader, writer }
  } catch (error) {
    for (const connection of opened) connection.close()
    throw toStorageError(error, { path })
  }
}

/**
 * Creates a {@link SqliteStorage} on `node:sqlite`: one durable file in WAL mode, no server, no native build.
 * Several processes (a `certus` command and a server) can share one file: writes serialise on SQLite's
 * write lock, reads never wait for writers.
 *
 * @example
 * const storage = await createSqliteStorage({ path: './.certus/certus.db', migrate: true })
 * const page = await storage.listSignedArtifacts({ artifactType: 'sbom' })
 * await storage.close()
 * @throws StorageError `STORAGE_INVALID_OPTIONS`, `STORAGE_CORRUPT` (not a database), `STORAGE_FOREIGN_DATABASE`
 * (another application's database), `STORAGE_SCHEMA_TOO_NEW`, `STORAGE_READ_ONLY`, `STORAGE_FULL`, `STORAGE_BUSY`,
 * `STORAGE_UNAVAILABLE`
 */
export async function createSqliteStorage(options: SqliteStorageOptions): Promise<SqliteStorage> {
  const settings = parseSqliteOptions(options)
  const path = resolve(settings.path)
  await prepareLocation(path)
  // Loaded here rather than at import, so importing the package costs nothing until a database is opened.
  const { DatabaseSync } = await import('node:sqlite')
  const { reader, writer: writeConnection } = openConnections(DatabaseSync, path, settings)
  const writer = new Writer(writeConnection, settings.busyTimeoutMs)

  let closed = false
  let closing: Promise<void> | undefined
  const assertOpen = () => {
    if (closed) throw logErrors.closed()
  }
  const wrap = (error: unknown) => toStorageError(error, { path })
  const context: OperationContext = {
    assertOpen,
    wrap,
    async run(operation) {
      assertOpen()
      try {
        return await operation()
      } catch (error) {
        throw wrap(error)
      }
    },
  }
  const close = () => {
    closed = true
    closing ??= writer.idle().then(() => {
      reader.close()
      writeConnection.close()
    })
    return closing
  }
  const storage: SqliteStorage = {
    backend: 'sqlite',
    path,
    ...createSqliteRecords(reader, writer, context),
    ...createSqliteLog(reader, writer, context),
    ...createSqliteUnrecorded(reader, writer, context),
    migrate: () => context.run(() => writer.transaction((connection) => applyMigrations(connection, path))),
    schemaVersion: () =>
      context.run(() => ({ current: readSchemaVersion(reader), latest: LATEST_SCHEMA_VERSION })),
    close,
    [Symbol.asyncDispose]: close,
  }
  if (settings.migrate) {
    try {
      await storage.migrate()
    } catch (error) {
      await close()
      throw error
    }
  }
  return storage
}
