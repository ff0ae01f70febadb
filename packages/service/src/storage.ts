import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createMemoryStorage, type Storage } from '@certus-trust/storage'
import type pg from 'pg'
import { ServiceError } from './errors.js'
import { dataDirLayout } from './layout.js'

/** Where records and the embedded log live. */
export type StorageConfig =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'postgres'; connectionString: string }

/** Connection-pool usage of a PostgreSQL backend, for metrics. */
export interface PoolStats {
  total: number
  idle: number
  waiting: number
}

/** Open storage, and its pool's usage when it has one. */
export interface OpenedStorage {
  storage: Storage
  /** Present for PostgreSQL: the pool this service created (and closes). */
  poolStats?: (() => PoolStats) | undefined
  /** Closes storage, then the pool. Idempotent through the caller's closer list. */
  close(): Promise<void>
}

/**
 * The storage a data directory uses when none is configured: SQLite inside it — unless the directory still holds
 * only a PGlite database from an earlier version, which keeps being used so no entry of its log is stranded.
 */
export function defaultStorageConfig(dataDir: string): StorageConfig {
  const layout = dataDirLayout(dataDir)
  if (!existsSync(layout.databasePath) && existsSync(layout.legacyPGlitePath)) {
    return { kind: 'pglite', dataDir: layout.legacyPGlitePath }
  }
  return { kind: 'sqlite', path: layout.databasePath }
}

/**
 * Opens (and migrates) the configured storage. For PostgreSQL the service owns the pool, so its usage can be
 * reported; an idle client the database drops is replaced instead of crashing the process.
 *
 * @throws ServiceError `SERVICE_UNAVAILABLE` when storage cannot be opened; `STORAGE_*` errors pass through.
 */
export async function openStorage(
  spec: StorageConfig,
  options: { poolSize?: number; statementTimeoutMs?: number; connectTimeoutMs?: number } = {},
): Promise<OpenedStorage> {
  let pool: pg.Pool | undefined
  const statementTimeoutMs = options.statementTimeoutMs ?? 15_000
  try {
    // Each backend's modules (node:sqlite, PGlite, pg) load only when that backend is chosen.
    if (spec.kind === 'memory') return withClose(createMemoryStorage())
    if (spec.kind === 'sqlite') {
      const { createSqliteStorage } = await import('@certus-trust/storage-sqlite')
      return withClose(await createSqliteStorage({ path: spec.path, migrate: true }))
    }
    if (spec.kind === 'pglite') {
      await mkdir(spec.dataDir, { recursive: true, mode: 0o700 })
      const { createPGliteStorage } = await import('@certus-trust/storage-postgres')
      return withClose(await createPGliteStorage({ dataDir: spec.dataDir, migrate: true }))
    }
    const [{ default: pgModule }, { createPostgresStorage }] = await Promise.all([
      import('pg'),
      import('@certus-trust/storage-postgres'),
    ])
    pool = new pgModule.Pool({
      connectionString: spec.connectionString,
      max: options.poolSize ?? 10,
      // Also bounds the wait for a free pooled connection (pg-pool applies it to queued acquisitions).
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      // Server-side bound (locks, slow plans) and client-side bound (a database that stops answering).
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + 1_000,
      application_name: 'certus-trust',
    })
    pool.on('error', () => {})
    const storage = await createPostgresStorage({ pool, migrate: true })
    const owned = pool
    return {
      storage,
      poolStats: () => ({ total: owned.totalCount, idle: owned.idleCount, waiting: owned.waitingCount }),
      async close() {
        await storage.close()
        await owned.end()
      },
    }
  } catch (error) {
    await pool?.end().catch(() => {})
    if ((error as { code?: string })?.code?.startsWith('STORAGE_')) throw error
    throw new ServiceError({
      code: 'SERVICE_UNAVAILABLE',
      message: `could not open ${spec.kind} storage`,
      cause: error,
    })
  }
}

function withClose(storage: Storage): OpenedStorage {
  return { storage, close: () => storage.close() }
}
