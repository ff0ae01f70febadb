import type { LogStorage, RecordStorage, Storage, StorageError } from '@certus-trust/storage'
import { logErrors } from '@certus-trust/storage/backend'
import { type ConstraintErrors, toStorageError } from './database-errors.js'
import type { SqlDriver } from './driver.js'
import { createSqlLogStorage } from './sql-log.js'
import { createSqlRecordStorage } from './sql-records.js'
import { createSqlUnrecorded } from './sql-unrecorded.js'

/** Options of {@link createSqlStorage}. */
export interface SqlStorageParts {
  records: RecordStorage
  log: LogStorage
  reconciliation: Pick<Required<Storage>, 'findUnrecordedLeaves' | 'forgetRecordedMarks'>
}

/**
 * The records and log halves of a SQL-backed Storage, running the same statements on `pg` and PGlite
 * (`sql-records.ts`, `sql-log.ts`). `assertOpen` throws `STORAGE_CLOSED` once the owning storage is closed.
 */
export function createSqlStorage(driver: SqlDriver, assertOpen: () => void): SqlStorageParts {
  /** Runs one public operation: closed check, then driver errors wrapped into StorageError. */
  async function run<T>(operation: () => T | Promise<T>, constraints?: ConstraintErrors): Promise<T> {
    assertOpen()
    try {
      return await operation()
    } catch (error) {
      throw toStorageError(error, constraints)
    }
  }
  return {
    records: createSqlRecordStorage(driver, run),
    log: createSqlLogStorage(driver, run, assertOpen),
    reconciliation: createSqlUnrecorded(driver, run),
  }
}

/** Re-exported for the factories: the closed error every backend uses. */
export const closedError = (): StorageError => logErrors.closed()
