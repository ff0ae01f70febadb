import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import type { createPGliteStorage } from '@certus-trust/storage-postgres'

/** Test database server (STYLE.md: CERTUS_TEST_DATABASE_URL, else the local server). */
export const DATABASE_URL =
  process.env.CERTUS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const DATABASE_PREFIX = process.env.CERTUS_TEST_DATABASE_PREFIX ?? 'tlog_test_'
if (!/^[a-z_][a-z0-9_]{0,40}$/.test(DATABASE_PREFIX))
  throw new Error('CERTUS_TEST_DATABASE_PREFIX must match [a-z_][a-z0-9_]*')

// `pg` is storage-postgres's dependency, not ours; tests borrow it only to create and drop scratch databases.
const requireFromStoragePostgres = createRequire(
  createRequire(import.meta.url).resolve('@certus-trust/storage-postgres/package.json'),
)
const pg = requireFromStoragePostgres('pg') as {
  Client: new (options: {
    connectionString: string
  }) => {
    connect(): Promise<void>
    query(sql: string): Promise<unknown>
    end(): Promise<void>
  }
}

async function admin(sql: string, serverUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** Creates an empty scratch database and returns its URL. */
export async function createScratchDatabase(
  serverUrl: string = DATABASE_URL,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${DATABASE_PREFIX}${randomBytes(6).toString('hex')}`
  await admin(`CREATE DATABASE ${name}`, serverUrl)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, serverUrl) }
}

interface Queryable {
  query(sql: string): Promise<{ rows: Array<Record<string, unknown>> }>
}

/** The tables our migrations create in the current schema (the migration ledger excepted). */
async function dataTables(db: Queryable): Promise<string[]> {
  const { rows } = await db.query(
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'certus_schema_migrations' ORDER BY tablename",
  )
  return rows.map((row) => String(row.tablename))
}

/** Empties every data table of a migrated PostgreSQL database (identities restarted), keeping its schema. */
export async function clearTables(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url }) as unknown as Queryable & {
    connect(): Promise<void>
    end(): Promise<void>
  }
  await client.connect()
  try {
    const tables = await dataTables(client)
    if (tables.length > 0) await client.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`)
  } finally {
    await client.end()
  }
}

/** The PGlite instance `createPGliteStorage({ db })` takes. */
type PGliteInstance = NonNullable<Parameters<typeof createPGliteStorage>[0]>['db']

/** One in-memory PGlite for a test file: `clear()` empties it between tests instead of starting another. */
export interface SharedPGlite {
  db: PGliteInstance
  clear(): Promise<void>
  close(): Promise<void>
}

/** Starts an in-memory PGlite (storage-postgres's optional peer, borrowed like `pg` above). */
export async function openPGlite(): Promise<SharedPGlite> {
  const entry = requireFromStoragePostgres.resolve('@electric-sql/pglite')
  const { PGlite } = (await import(entry)) as {
    PGlite: { create(): Promise<Queryable & { exec(sql: string): Promise<unknown>; close(): Promise<void> }> }
  }
  const db = await PGlite.create()
  return {
    db: db as unknown as PGliteInstance,
    async clear() {
      const tables = await dataTables(db)
      if (tables.length > 0) await db.exec(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`)
    },
    close: () => db.close(),
  }
}

/** Runs one query on a database and returns its rows (benchmarks read sizes and server statistics this way). */
export async function queryDatabase(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url }) as unknown as Queryable & {
    connect(): Promise<void>
    end(): Promise<void>
  }
  await client.connect()
  try {
    return (await client.query(sql)).rows
  } finally {
    await client.end()
  }
}
