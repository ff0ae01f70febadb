import type { MigrationResult } from './migrations.js'
import { createPGliteStorage, type PGliteStorageOptions } from './pglite-storage.js'
import { createPostgresStorage, type PostgresStorageOptions } from './postgres-storage.js'

/** Where {@link migrate} applies the schema: a server (`connectionString` / `pool`) or PGlite (`dataDir` / `db`). */
export type MigrateTarget =
  | Pick<PostgresStorageOptions, 'connectionString' | 'pool' | 'connectTimeoutMs' | 'logger'>
  | Pick<PGliteStorageOptions, 'dataDir' | 'db'>

/**
 * Applies pending migrations to a database and releases every connection it opened (for the CLI and
 * deploy scripts). Idempotent; concurrent callers are serialised by an advisory lock.
 *
 * @example
 * const { applied, version } = await migrate({ connectionString: 'postgres://postgres@127.0.0.1:5432/certus' })
 * @throws StorageError `STORAGE_INVALID_OPTIONS`, `STORAGE_UNAVAILABLE`, `STORAGE_CONFLICT`
 */
export async function migrate(target: MigrateTarget): Promise<MigrationResult> {
  const storage =
    'dataDir' in target || 'db' in target
      ? await createPGliteStorage(target as PGliteStorageOptions)
      : await createPostgresStorage(target as PostgresStorageOptions)
  try {
    return await storage.migrate()
  } finally {
    await storage.close()
  }
}
