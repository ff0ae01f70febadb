import { KeyedMutex } from '@certus-trust/storage/backend'
import type { SqliteConnection } from './connection.js'
import { sqliteResultCode } from './sqlite-errors.js'

const SQLITE_BUSY = 5
// Between attempts to take the write lock from another process, yield the event loop this long.
const RETRY_PAUSE_MS = 10

interface GroupedCall {
  fn: (connection: SqliteConnection) => unknown
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

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
  readonly #group: GroupedCall[] = []

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

  /**
   * Runs `fn` in a transaction shared with the other `grouped` calls queued while the write lock was busy (group
   * commit): one `BEGIN IMMEDIATE … COMMIT`, so one fsync, for the whole group. Each call runs inside its own
   * SAVEPOINT, so a call that throws undoes only its own writes and gets its own error; the others still commit.
   * Every promise settles after the COMMIT (or with the COMMIT's error): durable when it resolves, as alone.
   */
  grouped<T>(fn: (connection: SqliteConnection) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#group.push({ fn, resolve: resolve as (value: unknown) => void, reject })
      if (this.#group.length === 1) void this.#commitGroup()
    })
  }

  async #commitGroup(): Promise<void> {
    // Queued behind whatever holds the write mutex; everything grouped meanwhile joins this transaction.
    let calls: GroupedCall[] = []
    try {
      const outcomes = await this.transaction((connection) => {
        calls = this.#group.splice(0)
        return calls.map((call) => {
          connection.exec('SAVEPOINT grouped_call')
          try {
            const value = call.fn(connection)
            connection.exec('RELEASE grouped_call')
            return { ok: true as const, value }
          } catch (error) {
            // SQLite rolls the whole transaction back on some errors (SQLITE_FULL, I/O): then the group fails.
            if (!connection.inTransaction) throw error
            try {
              connection.exec('ROLLBACK TO grouped_call')
              connection.exec('RELEASE grouped_call')
            } catch {
              throw error
            }
            return { ok: false as const, error }
          }
        })
      })
      outcomes.forEach((outcome, position) => {
        if (outcome.ok) calls[position]!.resolve(outcome.value)
        else calls[position]!.reject(outcome.error)
      })
    } catch (error) {
      // BEGIN or COMMIT failed: nothing of the group was written.
      const failed = calls.length > 0 ? calls : this.#group.splice(0)
      for (const call of failed) call.reject(error)
    }
    // Calls queued after the splice above scheduled their own group (the queue went from empty to one).
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
      // A plain timer, not node:timers/promises: that module would load with every process that opens SQLite.
      await new Promise<void>((resolve) => setTimeout(resolve, RETRY_PAUSE_MS))
    }
  }
}
