import type { Storage } from '@certus-trust/storage'
import type { SqlDriver } from './driver.js'
import { latestSchemaVersion, type MigrationResult, readSchemaVersion, runMigrations } from './migrations.js'
import { closedError, createSqlStorage } from './sql-storage.js'

/** A SQL-backed {@link Storage} with schema management. */
export interface SqlStorage extends Storage {
  /**
   * Applies pending migrations (idempotent; safe when several processes start at once).
   * @throws StorageError `STORAGE_UNAVAILABLE`, `STORAGE_CONFLICT` (an applied migration was edited), `STORAGE_CLOSED`
   */
  migrate(): Promise<MigrationResult>
  /** The database's applied schema version (0 when not migrated) and the newest this package ships. */
  schemaVersion(): Promise<{ current: number; latest: number }>
}

/** Assembles a Storage over a driver. @internal */
export function assembleStorage(driver: SqlDriver, backend: string): SqlStorage {
  let closed = false
  let closing: Promise<void> | undefined
  const assertOpen = () => {
    if (closed) throw closedError()
  }
  const { records, log, reconciliation } = createSqlStorage(driver, assertOpen)
  const close = () => {
    closed = true
    closing ??= driver.close()
    return closing
  }
  return {
    backend,
    ...records,
    ...log,
    ...reconciliation,
    async migrate() {
      assertOpen()
      return runMigrations(driver)
    },
    async schemaVersion() {
      assertOpen()
      return { current: await readSchemaVersion(driver), latest: latestSchemaVersion() }
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
