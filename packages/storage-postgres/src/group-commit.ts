import type { SqlDriver, SqlSession } from './driver.js'

/** Largest number of calls one group transaction takes. */
const MAX_GROUP = 256

interface Call<I, T> {
  item: I
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

/** What became of one item of a group. */
export type GroupOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown }

/** How a group writes its items. */
export interface GroupWriter<I, T> {
  /** Writes one item (the isolated path: one savepoint per item). */
  one(session: SqlSession, item: I): Promise<T>
  /**
   * Writes a whole group with one statement, outside an explicit transaction (the fast path: the statement commits
   * by itself, atomically, in one round trip). Returns each item's outcome in the items' order; rejects only when
   * the statement failed, and then nothing was written.
   */
  many?(session: SqlSession, items: I[]): Promise<Array<GroupOutcome<T>>>
}

/**
 * Group commit for independent writes (records): calls that arrive while a group is being written wait and
 * share the next transaction — one COMMIT, so one WAL flush and one pool connection, for many writes, instead of one
 * per write. A group that fails is written again with each call inside its own SAVEPOINT, so a call that fails (a
 * conflict) undoes only its own writes and gets its own error; the others commit. Every promise settles after the COMMIT (or with its error): a write
 * is durable when its promise resolves, exactly as alone.
 */
export class GroupCommit<I, T> {
  readonly #queue: Array<Call<I, T>> = []
  #running = false

  constructor(
    private readonly driver: SqlDriver,
    private readonly writer: GroupWriter<I, T>,
  ) {}

  run(item: I): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject })
      if (!this.#running) void this.#drain()
    })
  }

  async #drain(): Promise<void> {
    this.#running = true
    try {
      while (this.#queue.length > 0) await this.#commit(this.#queue.splice(0, MAX_GROUP))
    } finally {
      this.#running = false
    }
  }

  async #commit(calls: Array<Call<I, T>>): Promise<void> {
    // Fast path: the whole group in one statement where the writer has one (no BEGIN/COMMIT around it), else in one
    // transaction with a round trip per write. Conflicts are rare (a retried idempotency key, a duplicate entry); if
    // the statement or the transaction fails, nothing of this attempt is kept and the group is written again with a
    // savepoint per write, so only the failing writes fail.
    const { writer } = this
    const items = calls.map((call) => call.item)
    let outcomes: Array<GroupOutcome<T>>
    try {
      outcomes = writer.many
        ? await writer.many(this.driver, items)
        : await this.driver.transaction(async (session) => {
            const written: Array<GroupOutcome<T>> = []
            for (const item of items) written.push({ ok: true, value: await writer.one(session, item) })
            return written
          })
    } catch {
      await this.#commitIsolated(calls)
      return
    }
    settle(calls, outcomes)
  }

  async #commitIsolated(calls: Array<Call<I, T>>): Promise<void> {
    let outcomes: Array<GroupOutcome<T>>
    try {
      outcomes = await this.driver.transaction(async (session) => {
        const results: typeof outcomes = []
        for (const call of calls) {
          await session.exec('SAVEPOINT grouped_call')
          try {
            const value = await this.writer.one(session, call.item)
            await session.exec('RELEASE SAVEPOINT grouped_call')
            results.push({ ok: true, value })
          } catch (error) {
            // A connection that cannot roll back to the savepoint fails the group with the write's own error.
            await session.exec('ROLLBACK TO SAVEPOINT grouped_call').catch(() => {
              throw error
            })
            results.push({ ok: false, error })
          }
        }
        return results
      })
    } catch (error) {
      // BEGIN or COMMIT failed (or the connection broke): nothing of the group was written.
      for (const call of calls) call.reject(error)
      return
    }
    settle(calls, outcomes)
  }
}

function settle<I, T>(calls: Array<Call<I, T>>, outcomes: Array<GroupOutcome<T>>): void {
  outcomes.forEach((outcome, position) => {
    if (outcome.ok) calls[position]!.resolve(outcome.value)
    else calls[position]!.reject(outcome.error)
  })
}
