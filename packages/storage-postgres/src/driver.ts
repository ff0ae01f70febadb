/** A row as the driver returns it (column name → value). */
export type Row = Record<string, unknown>

/** One connection's worth of SQL: parameterised queries and multi-statement scripts. */
export interface SqlSession {
  /** Runs one parameterised statement and returns its rows. */
  query(text: string, params?: ReadonlyArray<unknown>): Promise<Row[]>
  /** Runs a script of several statements without parameters. */
  exec(text: string): Promise<void>
}

/**
 * The small surface the storage needs from a PostgreSQL connection: implemented once for a `pg` pool and
 * once for PGlite, so both run the same SQL.
 */
export interface SqlDriver extends SqlSession {
  /** Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>
  /**
   * Runs `fn` holding the migration lock (across processes for a server; PGlite is single-process).
   * The session's `transaction` runs on the same connection.
   */
  withMigrationLock<T>(fn: (session: SqlSession & Pick<SqlDriver, 'transaction'>) => Promise<T>): Promise<T>
  /** Releases what the driver owns (never a pool or PGlite instance the caller handed in). */
  close(): Promise<void>
}

/** Advisory-lock namespace (first key of the two-int form): 'CERT'. */
export const ADVISORY_LOCK_NAMESPACE = 0x43455254
/** Second key of the migration lock; tree locks use the namespace + 1 with hashtext(tree_id). */
export const MIGRATION_LOCK_KEY = 1
