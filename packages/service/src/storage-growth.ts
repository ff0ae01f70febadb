import { stat } from 'node:fs/promises'
import type { LogInfo, TransparencyLog } from '@certus-trust/tlog'
import type { StorageConfig } from './storage.js'

/** How much is stored: log entries, and bytes (SQLite: on disk; PostgreSQL: `pg_database_size`). */
export interface StorageGrowth {
  /** Entries in the embedded log (every shard); undefined without one. */
  logEntries?: number | undefined
  /** Undefined for backends that cannot tell (memory, PGlite). */
  bytes?: number | undefined
}

/**
 * What storage holds, for the growth gauges: the embedded log's entry count (every shard), and the database's
 * bytes — SQLite's on disk (the file and its write-ahead log), PostgreSQL's `pg_database_size` of the database
 * the service uses (`databaseBytes`).
 */
export async function storageGrowth(
  storage: StorageConfig,
  log: TransparencyLog | undefined,
  databaseBytes?: (() => Promise<number>) | undefined,
): Promise<StorageGrowth> {
  const [logEntries, bytes] = await Promise.all([
    log ? log.getLogInfo().then(entriesInLog) : undefined,
    storage.kind === 'sqlite' ? fileBytes([storage.path, `${storage.path}-wal`]) : databaseBytes?.(),
  ])
  return { logEntries, bytes }
}

function entriesInLog(info: LogInfo): number {
  return (info.inactiveShards ?? []).reduce((sum, shard) => sum + shard.treeSize, info.treeSize)
}

async function fileBytes(paths: string[]): Promise<number> {
  const sizes = await Promise.all(
    paths.map((path) =>
      stat(path).then(
        (info) => info.size,
        () => 0,
      ),
    ),
  )
  return sizes.reduce((sum, size) => sum + size, 0)
}
