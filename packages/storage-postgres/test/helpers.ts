import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { it } from 'vitest'

/** Admin URL of the test server; each test file creates (and drops) its own database through it. */
export const ADMIN_URL = process.env.CERTUS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REQUIRE_POSTGRES = process.env.CERTUS_REQUIRE_POSTGRES === '1'
/** Prefix of every throwaway database name (CERTUS_TEST_DATABASE_PREFIX), so parallel runs and cleanup scripts can tell them apart. */
const DATABASE_PREFIX = (() => {
  const prefix = process.env.CERTUS_TEST_DATABASE_PREFIX ?? 'certus_test_'
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix))
    throw new Error('CERTUS_TEST_DATABASE_PREFIX must match [a-z_][a-z0-9_]*')
  return prefix
})()

/** Tables in dependency order, for TRUNCATE between contract tests. */
export const ALL_TABLES = [
  'certus_log_search_keys',
  'certus_log_leaves',
  'certus_log_nodes',
  'certus_log_tree_heads',
  'certus_log_trees',
  'certus_signed_artifacts',
  'certus_verification_records',
]

/** Replaces the database name of a URL (never printed: it may carry a password). */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

async function probe(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

/**
 * Whether the PostgreSQL server answers. When it does not, says so loudly; with CERTUS_REQUIRE_POSTGRES=1
 * it also registers a failing test so the run cannot pass without the server.
 */
export async function postgresAvailable(suite: string): Promise<boolean> {
  const reachable = await probe()
  if (!reachable) {
    const where = new URL(ADMIN_URL)
    const banner = `\n${'!'.repeat(78)}\n!! ${suite}: PostgreSQL at ${where.hostname}:${where.port || 5432} is unreachable — these tests did NOT run.\n!! Set CERTUS_TEST_DATABASE_URL or start a server; CERTUS_REQUIRE_POSTGRES=1 turns this into a failure.\n${'!'.repeat(78)}\n`
    console.warn(banner)
    if (REQUIRE_POSTGRES) {
      it(`${suite}: PostgreSQL server is reachable (CERTUS_REQUIRE_POSTGRES=1)`, () => {
        throw new Error(
          `PostgreSQL at ${where.hostname}:${where.port || 5432} is unreachable and CERTUS_REQUIRE_POSTGRES=1`,
        )
      })
    }
  }
  return reachable
}

/** A throwaway database: created now, dropped (with its connections) by `drop()`. */
export interface TestDatabase {
  name: string
  url: string
  drop(): Promise<void>
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 })
  client.on('error', () => undefined)
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `${DATABASE_PREFIX}${label}_${process.pid}_${randomBytes(4).toString('hex')}`
  await admin((client) => client.query(`CREATE DATABASE ${name}`))
  return {
    name,
    url: withDatabase(ADMIN_URL, name),
    drop: () =>
      admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  }
}

/** Runs SQL as the admin user (for pg_terminate_backend, ALTER DATABASE …). */
export function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  return admin((client) => client.query(sql, params))
}
