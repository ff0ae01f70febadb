import { createHash } from 'node:crypto'
import { StorageError } from './errors.js'

/** One versioned schema migration of a SQL backend. */
export interface Migration {
  version: number
  name: string
  sql: string
  /** Hex SHA-256 of `sql`, recorded when applied; an applied migration whose text changed is refused. */
  checksum: string
}

/** A migration with its checksum. */
export function defineMigration(version: number, name: string, sql: string): Migration {
  return { version, name, sql, checksum: createHash('sha256').update(sql).digest('hex') }
}

/**
 * The shipped migrations that `applied` (version → recorded checksum) lacks, in shipped order. Checked before any is
 * applied: a migration applied with another checksum (its shipped text was edited) is refused.
 * @throws StorageError `STORAGE_CONFLICT`
 */
export function pendingMigrations<M extends Migration>(
  shipped: ReadonlyArray<M>,
  applied: ReadonlyMap<number, string>,
): M[] {
  const pending: M[] = []
  for (const migration of shipped) {
    const checksum = applied.get(migration.version)
    if (checksum === undefined) pending.push(migration)
    else if (checksum !== migration.checksum) {
      throw new StorageError({
        code: 'STORAGE_CONFLICT',
        message: 'an applied migration differs from the shipped one',
        details: { version: migration.version, name: migration.name },
      })
    }
  }
  return pending
}
