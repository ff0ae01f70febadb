import { setTimeout as sleep } from 'node:timers/promises'
import { KeyedMutex } from '@certus-trust/storage/backend'
import type { SqliteConnection } from './connection.js'
import { sqliteResultCode } from './sqlite-errors.js'

const SQLITE_BUSY = 5
// Between attempts to take the write lock from another process, yield the event loop this long.
const RETRY_PAUSE_MS = 10

/**
 * The one write connection of a storage. Transactions of this process queue on an in-process mutex (a
 * second synchronous BEGIN on another connection of the same thread could never be granted); between
 * processes SQLite's own file lock serialises them: `BEGIN IMMEDIATE` takes the write lock up front, waiting
 * out a holder with SQLite's busy timeout, then retrying with the event loop free until `busyTimeoutMs`
 * has passed. What is written inside `transaction()` commits together or not at all.
 */
export class Writer {
  readonly #connection: SqliteConnection
  readonly #busyTimeoutMs: number
  readonly #mutex = new KeyedMutex()

  constructor(connection: SqliteConnection, busyTimeoutMs: number) {
    this.#connection = connection
    this.#busyTimeoutMs = busyTimeoutMs
  }

  /** Runs `fn` in one `BEGIN IMMEDIATE` transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (connection: SqliteConnection) => Promise<T> | T): Promise<T> {
    return this.#mutex.run('write', async () => {
      await this.#begin()
      try {
        const result = await fn(this.#connection)
        this.#connection.exec('COMMIT')
        return result
      } catch (error) {
        // A failed COMMIT (SQLITE_FULL, I/O error) can leave the transaction open: end it either way.
        if (this.#connection.inTransaction) this.#connection.exec('ROLLBACK')
        throw error
      }
    })
  }

  /** Resolves once every transaction queued so far has finished (used by `close()`). */
  idle(): Promise<void> {
    return this.#mutex.run('write', async () => undefined)
  }

  async #begin(): Promise<void> {
    const deadline = Date.now() + this.#busyTimeoutMs
    for (;;) {
      try {
        this.#connection.exec('BEGIN IMMEDIATE')
        return
      } catch (error) {
        if (sqliteResultCode(error) !== SQLITE_BUSY || Date.now() >= deadline) throw error
      }
      await sleep(RETRY_PAUSE_MS)
    }
  }
}
