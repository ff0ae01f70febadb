import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite'

/** A row as `node:sqlite` returns it (column name → value). */
export type Row = Record<string, unknown>

/** Bound parameter values (`node:sqlite` binds numbers, bigints, strings, bytes and null). */
export type Params = ReadonlyArray<SQLInputValue>

// Statements with variable IN-lists would otherwise grow the cache without bound.
const MAX_CACHED_STATEMENTS = 256

/**
 * One `node:sqlite` connection with a prepared-statement cache. Every call is synchronous: SQLite runs in
 * this thread, so a statement never interleaves with another one on the same connection.
 */
export class SqliteConnection {
  readonly #db: DatabaseSync
  readonly #statements = new Map<string, StatementSync>()

  constructor(db: DatabaseSync) {
    this.#db = db
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql)
    if (!statement) {
      if (this.#statements.size >= MAX_CACHED_STATEMENTS) this.#statements.clear()
      statement = this.#db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }

  /** All rows of a query. */
  all(sql: string, params: Params = []): Row[] {
    return this.#prepare(sql).all(...params) as Row[]
  }

  /** The first row of a query, if any. */
  get(sql: string, params: Params = []): Row | undefined {
    return this.#prepare(sql).get(...params) as Row | undefined
  }

  /** Runs one statement for its effect. */
  run(sql: string, params: Params = []): void {
    this.#prepare(sql).run(...params)
  }

  /** Runs a script of statements without parameters. */
  exec(sql: string): void {
    this.#db.exec(sql)
  }

  /** Whether a transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.#db.isTransaction
  }

  /** Closes the connection (idempotent). */
  close(): void {
    this.#statements.clear()
    if (this.#db.isOpen) this.#db.close()
  }
}
