import { AsyncLocalStorage } from 'node:async_hooks'
import { KeyedMutex } from '@certus-trust/storage/backend'
import type { Row, SqlDriver, SqlSession } from './driver.js'

/** What a PGlite instance or transaction offers that we use. */
export interface PGliteQueryable {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>
  exec(text: string): Promise<unknown>
}

/**
 * The part of a `PGlite` instance (`@electric-sql/pglite`) this package uses. Declared structurally so that our
 * published types do not require PGlite, an optional peer, to be installed; a real `PGlite` satisfies it.
 */
export interface PGliteDatabase extends PGliteQueryable {
  transaction<T>(fn: (tx: PGliteQueryable) => Promise<T>): Promise<T>
  readonly closed: boolean
  close(): Promise<void>
}

function session(target: PGliteQueryable): SqlSession {
  return {
    async query(text, params) {
      const result = await target.query<Row>(text, params as unknown[] | undefined)
      return result.rows
    },
    async exec(text) {
      await target.exec(text)
    },
  }
}

// PGlite is one connection in one process: its transaction() already excludes every other query, and a
// migration lock only has to keep two storages over the same instance from migrating at once.
const migrationLocks = new WeakMap<PGliteDatabase, KeyedMutex>()

/** A driver over a PGlite instance. `ownsDatabase` decides whether `close()` closes it. */
export function createPGliteDriver(db: PGliteDatabase, ownsDatabase: boolean): SqlDriver {
  // PGlite queues every query behind a running transaction. A storage read issued from inside a
  // withTreeLock callback would therefore wait for the callback forever; run it on the transaction instead.
  const current = new AsyncLocalStorage<SqlSession>()
  const direct = session(db)
  const transaction = <T>(fn: (session: SqlSession) => Promise<T>) =>
    db.transaction((tx) => {
      const inner = session(tx)
      return current.run(inner, () => fn(inner))
    })
  return {
    query: (text, params) => (current.getStore() ?? direct).query(text, params),
    exec: (text) => (current.getStore() ?? direct).exec(text),
    transaction,
    withMigrationLock(fn) {
      let mutex = migrationLocks.get(db)
      if (!mutex) {
        mutex = new KeyedMutex()
        migrationLocks.set(db, mutex)
      }
      return mutex.run('migrate', () => fn({ ...direct, transaction }))
    },
    async close() {
      if (ownsDatabase && !db.closed) await db.close()
    },
  }
}
