import type { LogStorage } from './log-storage.js'
import type { RecordStorage } from './records.js'

/** Query of {@link Storage.findUnrecordedLeaves}. */
export interface UnrecordedLeafQuery {
  /** Only leaves stored with this search key (the mark a writer that records its entries gives them). */
  searchKey: string
  /** Only leaves integrated at or before this time, seconds since the Unix epoch. */
  integratedBefore: number
  /** Resume after this leaf (results run in `(treeId, leafIndex)` order, tree IDs compared as text). */
  after?: { treeId: string; leafIndex: number } | undefined
  /** At most this many leaves, 1–1000. */
  limit: number
}

/**
 * Everything the SDK stores: records, the embedded log's state, and a lifecycle.
 * Every backend passes the same contract suite (`@certus-trust/storage/testing`).
 */
export interface Storage extends RecordStorage, LogStorage {
  /** Short backend name for logs and metrics: `memory`, `postgres`, `pglite`. */
  readonly backend: string
  /**
   * Leaves carrying `query.searchKey` for which no signed artifact records the entry (its 64-hex UUID, the hex
   * leaf hash, matches no record's `transparencyEntryUuid`): entries logged whose record write never happened,
   * e.g. because the process was killed in between. Reconciliation writes their records. Optional so that older
   * backends still type-check; every bundled backend implements it.
   * @throws StorageError `STORAGE_INVALID_QUERY` for a malformed query.
   */
  findUnrecordedLeaves?(query: UnrecordedLeafQuery): Promise<Array<{ treeId: string; leafIndex: number }>>
  /**
   * Drops the search-index rows of `query.searchKey` for leaves that have their record now (integrated at or
   * before `integratedBefore`), at most `limit` of them; returns how many. Keeps `findUnrecordedLeaves`
   * proportional to the entries still awaiting a record instead of to the whole log. The leaf itself, its body and
   * its `searchKeys` as read back, are unchanged. Optional like `findUnrecordedLeaves`.
   * @throws StorageError `STORAGE_INVALID_QUERY` for a malformed query.
   */
  forgetRecordedMarks?(query: Omit<UnrecordedLeafQuery, 'after'>): Promise<number>
  /**
   * Releases what the storage owns. Idempotent; every other method rejects with `STORAGE_CLOSED` afterwards.
   * Resources handed in by the caller (a `pg.Pool`, a PGlite instance) are left open.
   */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}
