export type { MigrationResult } from './migrate.js'
export { DEFAULT_BUSY_TIMEOUT_MS } from './options.js'
export type { Migration } from './schema.js'
export {
  CERTUS_APPLICATION_ID,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  SCHEMA_MIGRATIONS_TABLE,
} from './schema.js'
export type { SqliteStorage, SqliteStorageOptions } from './sqlite-storage.js'
export { createSqliteStorage } from './sqlite-storage.js'
