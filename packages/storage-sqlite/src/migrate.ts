import { StorageError } from '@certus-trust/storage'
import { pendingMigrations } from '@certus-trust/storage/backend'
import type { SqliteConnection } from './connection.js'
import {
  CERTUS_APPLICATION_ID,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  SCHEMA_MIGRATIONS_TABLE,
} from './schema.js'

/** The outcome of `migrate()`. */
export interface MigrationResult {
  /** Versions applied by this call, ascending (empty when the schema was already current). */
  applied: number[]
  /** The schema version after the call. */
  version: number
}

/** What the file at the path holds, read from its header and catalogue before we touch it. */
interface DatabaseIdentity {
  applicationId: number
  version: number
  tables: string[]
}

function identify(connection: SqliteConnection): DatabaseIdentity {
  // The first statement reads the header: a file that is not SQLite fails here with SQLITE_NOTADB.
  const applicationId = Number(connection.get('PRAGMA application_id')?.application_id ?? 0)
  const version = Number(connection.get('PRAGMA user_version')?.user_version ?? 0)
  const tables = connection
    .all(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    .map((row) => String(row.name))
  return { applicationId, version, tables }
}

/**
 * Refuses a file that is not ours (another application's database) or that a newer version migrated.
 * An empty database (new file) passes. Runs before anything is written, so a refused file is left untouched.
 * @throws StorageError `STORAGE_FOREIGN_DATABASE`, `STORAGE_SCHEMA_TOO_NEW`
 */
export function checkDatabaseIdentity(connection: SqliteConnection, path: string): number {
  const identity = identify(connection)
  const ours =
    identity.applicationId === CERTUS_APPLICATION_ID ||
    (identity.applicationId === 0 &&
      (identity.tables.length === 0 || identity.tables.includes(SCHEMA_MIGRATIONS_TABLE)))
  if (!ours) {
    throw new StorageError({
      code: 'STORAGE_FOREIGN_DATABASE',
      message: `${path} is a SQLite database of another application; refusing to use it (choose another path)`,
      details: { path, applicationId: identity.applicationId },
    })
  }
  if (identity.version > LATEST_SCHEMA_VERSION) throw schemaTooNew(path, identity.version)
  return identity.version
}

function schemaTooNew(path: string, version: number): StorageError {
  return new StorageError({
    code: 'STORAGE_SCHEMA_TOO_NEW',
    message: `database ${path} has schema version ${version}, newer than this version of @certus-trust/storage-sqlite knows (${LATEST_SCHEMA_VERSION}); upgrade Certus Trust`,
    details: { path, version, latest: LATEST_SCHEMA_VERSION },
  })
}

/**
 * Applies pending migrations on a connection that holds the write lock (inside `BEGIN IMMEDIATE`), so
 * processes starting at once apply each migration exactly once. The version lives in `PRAGMA user_version`
 * (read on every open) and, with each migration's checksum, in `certus_schema_migrations`.
 * @throws StorageError `STORAGE_SCHEMA_TOO_NEW`, `STORAGE_FOREIGN_DATABASE`, `STORAGE_CONFLICT` (an applied
 * migration differs from the shipped one)
 */
export function applyMigrations(connection: SqliteConnection, path: string): MigrationResult {
  const current = checkDatabaseIdentity(connection, path)
  connection.exec(
    `CREATE TABLE IF NOT EXISTS ${SCHEMA_MIGRATIONS_TABLE} (
       version INTEGER PRIMARY KEY,
       name TEXT NOT NULL,
       checksum TEXT NOT NULL,
       applied_at INTEGER NOT NULL
     ) STRICT`,
  )
  const applied = new Map(
    connection
      .all(`SELECT version, checksum FROM ${SCHEMA_MIGRATIONS_TABLE}`)
      .map((row) => [Number(row.version), String(row.checksum)]),
  )
  const result: MigrationResult = { applied: [], version: current }
  // SQLite applies every pending migration in the caller's one transaction; PostgreSQL one transaction each.
  for (const migration of pendingMigrations(MIGRATIONS, applied)) {
    connection.exec(migration.sql)
    connection.run(
      `INSERT INTO ${SCHEMA_MIGRATIONS_TABLE} (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
      [migration.version, migration.name, migration.checksum, Date.now()],
    )
    result.applied.push(migration.version)
    result.version = migration.version
  }
  // Header fields are part of the transaction: they change only if every migration above commits. Written only
  // when they differ: rewriting them unchanged made every open of a current database a write (a WAL commit and its
  // fsyncs, ~1 ms here, more on a real disk) with nothing to migrate.
  const identity = identify(connection)
  if (identity.applicationId !== CERTUS_APPLICATION_ID)
    connection.exec(`PRAGMA application_id = ${CERTUS_APPLICATION_ID}`)
  if (identity.version !== result.version) connection.exec(`PRAGMA user_version = ${result.version}`)
  return result
}

/** The applied schema version (`PRAGMA user_version`; 0 for a new file). */
export function readSchemaVersion(connection: SqliteConnection): number {
  return Number(connection.get('PRAGMA user_version')?.user_version ?? 0)
}
