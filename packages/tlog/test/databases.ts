import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'

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
