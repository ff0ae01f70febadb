import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { extname } from 'node:path'
import { createMemoryStorage, type Storage } from '@certus-trust/storage'
import type pg from 'pg'
import { ServiceError } from './errors.js'
import { dataDirLayout } from './layout.js'
import { explainMissingPGlite } from './legacy-pglite.js'

/** Where records and the embedded log live. */
export type StorageConfig =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'pglite'; dataDir: string }
  | {
      kind: 'postgres'
      connectionString: string
      /**
       * A schema of its own (created when missing, then first on the `search_path`), so a second log can share the
       * database. Undefined = the database's default search path.
       */
      schema?: string | undefined
    }

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
  /** Present for PostgreSQL: the database's size in bytes (`pg_database_size`), for the storage growth gauge. */
  databaseBytes?: (() => Promise<number>) | undefined
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

/** The PostgreSQL schema the embedded Rekor v2 log keeps its tables in. */
export const REKOR_V2_SCHEMA = 'certus_rekor_v2'

/**
 * Where the embedded Rekor v2 log lives beside storage `spec`: the storage interface holds one active tree, so the
 * v2 log gets storage of its own of the same kind — a second memory store, a sibling SQLite file
 * (`certus.db` → `certus-rekor-v2.db`), a sibling PGlite directory, or schema `certus_rekor_v2` in the same
 * PostgreSQL database. Records are never written there.
 */
export function rekorV2StorageConfig(spec: StorageConfig): StorageConfig {
  if (spec.kind === 'memory') return spec
  if (spec.kind === 'sqlite') {
    const extension = extname(spec.path)
    const stem = extension ? spec.path.slice(0, -extension.length) : spec.path
    return { kind: 'sqlite', path: `${stem}-rekor-v2${extension || '.db'}` }
  }
  if (spec.kind === 'pglite') return { kind: 'pglite', dataDir: `${spec.dataDir}-rekor-v2` }
  return { ...spec, schema: REKOR_V2_SCHEMA }
}

/**
 * Opens (and migrates) the configured storage. For PostgreSQL the service owns the pool, so its usage can be
 * reported; an idle client the database drops is replaced instead of crashing the process.
 *
 * @throws ServiceError `SERVICE_UNAVAILABLE` when storage cannot be opened; `STORAGE_*` errors pass through.
 */
export async function openStorage(
  spec: StorageConfig,
  options: {
    poolSize?: number
    statementTimeoutMs?: number
    connectTimeoutMs?: number
    /** Told how long each acquisition of a pooled PostgreSQL connection waited, in seconds. */
    onPoolWait?: ((seconds: number) => void) | undefined
  } = {},
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
      const storage = await createPGliteStorage({ dataDir: spec.dataDir, migrate: true }).catch((error) => {
        throw explainMissingPGlite(error, spec.dataDir)
      })
      return withClose(storage)
    }
    const [{ default: pgModule }, { createPostgresStorage }] = await Promise.all([
      import('pg'),
      import('@certus-trust/storage-postgres'),
    ])
    if (spec.schema !== undefined) await createSchema(pgModule, spec.connectionString, spec.schema)
    pool = new pgModule.Pool({
      connectionString: spec.connectionString,
      ...(spec.schema === undefined ? {} : { options: `-c search_path=${spec.schema}` }),
      max: options.poolSize ?? 10,
      // Also bounds the wait for a free pooled connection (pg-pool applies it to queued acquisitions).
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      // Server-side bound (locks, slow plans) and client-side bound (a database that stops answering).
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + 1_000,
      application_name: 'certus-trust',
    })
    pool.on('error', () => {})
    if (options.onPoolWait) timePoolAcquisitions(pool, options.onPoolWait)
    const storage = await createPostgresStorage({ pool, migrate: true })
    const owned = pool
    return {
      storage,
      poolStats: () => ({ total: owned.totalCount, idle: owned.idleCount, waiting: owned.waitingCount }),
      databaseBytes: async () =>
        Number((await owned.query('SELECT pg_database_size(current_database()) AS bytes')).rows[0]?.bytes),
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

/**
 * Reports how long each `pool.connect()` (which `pool.query()` calls too) waited for a connection: the time a
 * query spends queued behind a busy pool, before the database sees it. Only this service's own pool is wrapped.
 */
function timePoolAcquisitions(pool: pg.Pool, onWait: (seconds: number) => void): void {
  const connect = pool.connect.bind(pool) as (callback?: (...args: unknown[]) => void) => unknown
  const report = (started: number) => {
    try {
      onWait((performance.now() - started) / 1000)
    } catch {
      // A metrics callback never fails a query.
    }
  }
  ;(pool as { connect: unknown }).connect = (callback?: (...args: unknown[]) => void) => {
    const started = performance.now()
    if (typeof callback === 'function') {
      return connect((...args: unknown[]) => {
        report(started)
        callback(...args)
      })
    }
    return (connect() as Promise<unknown>).finally(() => report(started))
  }
}

/** Creates `schema` when missing (one short connection; the name is ours, never user input). */
async function createSchema(pgModule: typeof pg, connectionString: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${schema}`)
  const client = new pgModule.Client({ connectionString })
  await client.connect()
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
  } catch (error) {
    // Two processes creating it at once: the loser sees a unique violation, and the schema exists.
    if ((error as { code?: string }).code !== '23505') throw error
  } finally {
    await client.end()
  }
}

function withClose(storage: Storage): OpenedStorage {
  return { storage, close: () => storage.close() }
}
