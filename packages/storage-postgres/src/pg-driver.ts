import type pg from 'pg'
import {
  ADVISORY_LOCK_NAMESPACE,
  MIGRATION_LOCK_KEY,
  type Row,
  type SqlDriver,
  type SqlSession,
} from './driver.js'

// pg sends Buffers as bytea; plain Uint8Arrays are converted without copying.
function toPgParams(params: ReadonlyArray<unknown> | undefined): unknown[] | undefined {
  return params?.map((value) =>
    value instanceof Uint8Array && !Buffer.isBuffer(value)
      ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
      : value,
  )
}

// Every query runs as a named prepared statement: PostgreSQL parses and plans it once per connection instead of on
// every call (about half the cost of a small INSERT on the write path). One name per text, the same on every
// connection (pg refuses a name reused for another text); past the cap, new texts run unnamed.
const STATEMENT_NAME_CAP = 2_000
const statementNames = new Map<string, string>()

function statementName(text: string): string | undefined {
  let name = statementNames.get(text)
  if (name === undefined && statementNames.size < STATEMENT_NAME_CAP) {
    name = `certus_${statementNames.size}`
    statementNames.set(text, name)
  }
  return name
}

function clientSession(client: pg.PoolClient | pg.Pool): SqlSession {
  return {
    async query(text, params) {
      const name = statementName(text)
      const values = toPgParams(params)
      const result = await client.query(name === undefined ? { text, values } : { name, text, values })
      return result.rows as Row[]
    },
    async exec(text) {
      await client.query(text)
    },
  }
}

// Clients whose ROLLBACK failed: their connection is unusable and must not go back to the pool.
const brokenClients = new WeakSet<pg.PoolClient>()

async function inTransaction<T>(client: pg.PoolClient, fn: (session: SqlSession) => Promise<T>): Promise<T> {
  await client.query('BEGIN')
  let result: T
  try {
    result = await fn(clientSession(client))
  } catch (error) {
    // A dead connection cannot roll back; the server discards the transaction when the session ends.
    await client.query('ROLLBACK').catch(() => brokenClients.add(client))
    throw error
  }
  await client.query('COMMIT')
  return result
}

/** Acquires a client; a client whose connection broke is destroyed rather than returned to the pool. */
async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  let broken: Error | undefined
  const onError = (error: Error) => {
    broken = error
  }
  client.on('error', onError)
  try {
    return await fn(client)
  } catch (error) {
    // A client-side query timeout leaves the connection mid-query: it must not serve the next caller.
    broken ??=
      error instanceof Error && (isConnectionLevel(error) || /timeout/i.test(error.message))
        ? error
        : undefined
    throw error
  } finally {
    client.off('error', onError)
    client.release(
      broken ??
        (brokenClients.has(client) ? new Error('connection unusable after a failed ROLLBACK') : false),
    )
  }
}

function isConnectionLevel(error: Error): boolean {
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && /^(08|57P0)/.test(code)) return true
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true
  return /connection|terminat/i.test(error.message)
}

/**
 * The server ended an established session (a restart, `pg_terminate_backend`): its FATAL notice, or pg's word for
 * a socket that closed under it. Not a connect timeout ("Connection terminated due to connection timeout"): retrying
 * that one per pooled connection would multiply the wait.
 */
function isEndedSession(error: Error): boolean {
  const code = (error as { code?: unknown }).code
  return code === '57P01' || code === '57P02' || /^Connection terminated unexpectedly/i.test(error.message)
}

/**
 * A pool-level session that retries a read that lands on a pooled connection the server has just ended: the pool
 * learns of it only when the socket reports the error, so after a restart every idle connection may be dead. Each
 * dead connection costs one attempt (pg destroys a client whose query failed so), hence up to the pool's size of
 * retries for an ended session; other connection failures (refused, timed out) are retried once. Writes are never
 * retried: whether a write on a dying connection committed cannot be known.
 */
function poolSession(pool: pg.Pool): SqlSession {
  const plain = clientSession(pool)
  return {
    async query(text, params) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await plain.query(text, params)
        } catch (error) {
          if (!/^\s*SELECT\b/i.test(text) || !(error instanceof Error) || !isConnectionLevel(error))
            throw error
          const retries = isEndedSession(error) ? (pool.options?.max ?? 10) : 1
          if (attempt >= retries) throw error
        }
      }
    },
    exec: plain.exec,
  }
}

/** A driver over a `pg` pool. `ownsPool` decides whether `close()` ends the pool. */
export function createPgDriver(pool: pg.Pool, ownsPool: boolean): SqlDriver {
  return {
    ...poolSession(pool),
    transaction: (fn) => withClient(pool, (client) => inTransaction(client, fn)),
    withMigrationLock: (fn) =>
      withClient(pool, async (client) => {
        // Session-level lock on a dedicated connection: two processes migrating at once run one after the other.
        await client.query('SELECT pg_advisory_lock($1, $2)', [ADVISORY_LOCK_NAMESPACE, MIGRATION_LOCK_KEY])
        try {
          return await fn({ ...clientSession(client), transaction: (inner) => inTransaction(client, inner) })
        } finally {
          await client
            .query('SELECT pg_advisory_unlock($1, $2)', [ADVISORY_LOCK_NAMESPACE, MIGRATION_LOCK_KEY])
            .catch(() => undefined)
        }
      }),
    async close() {
      if (ownsPool) await pool.end()
    },
  }
}
