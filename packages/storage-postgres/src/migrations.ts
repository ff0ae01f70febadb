import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineMigration, type Migration, pendingMigrations } from '@certus-trust/storage/backend'
import { toStorageError } from './database-errors.js'
import type { SqlDriver } from './driver.js'

/** One versioned migration file, `migrations/NNNN_name.sql` (its checksum is the file's). */
export type { Migration }

/** The outcome of {@link migrate}. */
export interface MigrationResult {
  /** Versions applied by this call, ascending (empty when the schema was already current). */
  applied: number[]
  /** The schema version after the call. */
  version: number
}

/** Name of the schema version table. */
export const SCHEMA_MIGRATIONS_TABLE = 'certus_schema_migrations'

// dist/index.js and src/migrations.ts both sit one level below the package root, next to migrations/.
const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url))

let cached: Migration[] | undefined

/** The migrations shipped with this package, ascending by version. */
export function loadMigrations(): Migration[] {
  if (cached) return cached
  cached = readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) =>
      defineMigration(
        Number(file.slice(0, 4)),
        file.slice(5, -4),
        readFileSync(`${MIGRATIONS_DIR}${file}`, 'utf8'),
      ),
    )
  return cached
}

/** The newest schema version this package knows. */
export function latestSchemaVersion(): number {
  return loadMigrations().at(-1)?.version ?? 0
}

/**
 * Applies pending migrations, each in its own transaction, holding an advisory lock so concurrent
 * starters apply each migration exactly once. Idempotent.
 * @throws StorageError `STORAGE_CONFLICT` if an applied migration's file changed; `STORAGE_UNAVAILABLE`.
 */
export async function runMigrations(driver: SqlDriver): Promise<MigrationResult> {
  const migrations = loadMigrations()
  try {
    return await driver.withMigrationLock(async (session) => {
      await session.exec(
        `CREATE TABLE IF NOT EXISTS ${SCHEMA_MIGRATIONS_TABLE} (
           version integer PRIMARY KEY,
           name text NOT NULL,
           checksum text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      )
      const rows = await session.query(
        `SELECT version, checksum FROM ${SCHEMA_MIGRATIONS_TABLE} ORDER BY version`,
      )
      const applied = new Map(rows.map((row) => [Number(row.version), String(row.checksum)]))
      const result: MigrationResult = { applied: [], version: Math.max(0, ...applied.keys()) }
      for (const migration of pendingMigrations(migrations, applied)) {
        await session.transaction(async (tx) => {
          await tx.exec(migration.sql)
          await tx.query(
            `INSERT INTO ${SCHEMA_MIGRATIONS_TABLE} (version, name, checksum) VALUES ($1, $2, $3)`,
            [migration.version, migration.name, migration.checksum],
          )
        })
        result.applied.push(migration.version)
        result.version = Math.max(result.version, migration.version)
      }
      return result
    })
  } catch (error) {
    throw toStorageError(error)
  }
}

/** The applied schema version (0 for an empty database). */
export async function readSchemaVersion(driver: SqlDriver): Promise<number> {
  try {
    const rows = await driver.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [
      SCHEMA_MIGRATIONS_TABLE,
    ])
    if (rows[0]?.present !== true) return 0
    const version = await driver.query(
      `SELECT coalesce(max(version), 0) AS version FROM ${SCHEMA_MIGRATIONS_TABLE}`,
    )
    return Number(version[0]?.version ?? 0)
  } catch (error) {
    throw toStorageError(error)
  }
}
