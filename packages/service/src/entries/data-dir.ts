// `@certus-trust/service/data-dir`: the local data directory as the `certus` command uses it (lock, embedded log,
// signing key, migration to SQLite), apart from the main entry so a command that needs only this loads only this.
export type { DataDir, OpenDataDirOptions } from '../data-dir.js'
export { openDataDir } from '../data-dir.js'
export type { LoadedKey } from '../keys.js'
export { loadOrCreateSigningKey, resolveSigningKey } from '../keys.js'
export { migrateCommandFor } from '../legacy-pglite.js'
export type { DataDirLog, OpenDataDirLogOptions } from '../local-log.js'
export { openDataDirLog } from '../local-log.js'
export type { LogReader } from '../log-backend.js'
export type {
  MigrateDataDirOptions,
  MigrateDataDirResult,
  MigratedLog,
  MigratedLogName,
} from '../migrate-data-dir.js'
export { migrateDataDirToSqlite } from '../migrate-data-dir.js'
