import { type Logger, noopLogger } from '@certus-trust/core'
import { parseBackendOptions } from '@certus-trust/storage/backend'
import type pg from 'pg'
import * as z from 'zod'
import { assembleStorage, type SqlStorage } from './create-storage.js'
import { toStorageError } from './database-errors.js'
import { loadPg } from './load-driver.js'
import { createPgDriver } from './pg-driver.js'

/** Options of {@link createPostgresStorage}: exactly one of `connectionString` or `pool`. */
export interface PostgresStorageOptions {
  /** `postgres://user:password@host:5432/database`. Never logged or put into errors. */
  connectionString?: string
  /** A pool you own: used as is and left open by `close()`. */
  pool?: pg.Pool
  /**
   * Maximum connections of the pool we create.
   * @default 10
   */
  maxConnections?: number
  /**
   * How long to wait for a connection before failing with `STORAGE_UNAVAILABLE`.
   * @default 5000
   */
  connectTimeoutMs?: number
  /**
   * Server-side `statement_timeout` for our connections (0 = none). The pool we create also gives up on
   * the client side one second later (`query_timeout`), so a server that stops answering cannot hang a
   * caller; the timed-out connection is discarded.
   * @default 30000
   */
  statementTimeoutMs?: number
  /**
   * Apply pending migrations before returning (same as calling `migrate()`).
   * @default false
   */
  migrate?: boolean
  /**
   * Receives connection-level events (idle connections dropped by the server). Never credentials.
   * @default noopLogger
   */
  logger?: Logger
}

const OptionsSchema = z
  .object({
    connectionString: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
      .optional(),
    pool: z
      .custom<pg.Pool>(
        (value) =>
          typeof value === 'object' && value !== null && typeof (value as pg.Pool).connect === 'function',
      )
      .optional(),
    maxConnections: z.number().int().min(1).max(1000).default(10),
    connectTimeoutMs: z.number().int().min(1).default(5000),
    statementTimeoutMs: z.number().int().min(0).default(30_000),
    migrate: z.boolean().default(false),
    logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null).optional(),
  })
  .refine((value) => (value.connectionString === undefined) !== (value.pool === undefined), {
    message: 'pass exactly one of connectionString or pool',
    path: ['connectionString'],
  })

/**
 * Creates a {@link SqlStorage} on a PostgreSQL server. Checks the connection before returning.
 *
 * @example
 * const storage = await createPostgresStorage({ connectionString: process.env.DATABASE_URL, migrate: true })
 * await storage.saveSignedArtifact({ artifactHash, artifactType: 'file', subject: 'app.tgz', signature, bundle })
 * await storage.close()
 * @throws StorageError `STORAGE_INVALID_OPTIONS` for bad options (the connection string is never echoed),
 *   `STORAGE_UNAVAILABLE` when the server cannot be reached.
 */
export async function createPostgresStorage(options: PostgresStorageOptions): Promise<SqlStorage> {
  const settings = parseBackendOptions(OptionsSchema, options, 'PostgreSQL storage')
  const logger = settings.logger ?? noopLogger
  const ownsPool = settings.pool === undefined
  const pool =
    settings.pool ??
    new (await loadPg()).Pool({
      connectionString: settings.connectionString,
      max: settings.maxConnections,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      ...(settings.statementTimeoutMs > 0
        ? {
            statement_timeout: settings.statementTimeoutMs,
            query_timeout: settings.statementTimeoutMs + 1000,
          }
        : {}),
      application_name: 'certus-trust',
    })
  if (ownsPool) {
    // Without a listener, an idle client killed by the server would crash the process.
    pool.on('error', (error) => {
      logger.warn(
        { sqlState: (error as { code?: unknown }).code ?? null },
        'idle PostgreSQL connection failed; the pool will replace it',
      )
    })
  }
  const driver = createPgDriver(pool, ownsPool)
  const storage = assembleStorage(driver, 'postgres')
  try {
    await driver.query('SELECT 1')
    if (settings.migrate) await storage.migrate()
  } catch (error) {
    await storage.close().catch(() => undefined)
    throw toStorageError(error)
  }
  return storage
}
