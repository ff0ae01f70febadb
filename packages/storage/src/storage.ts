import type { LogStorage } from './log-storage.js'
import type { RecordStorage } from './records.js'

/**
 * Everything the SDK stores: records, the embedded log's state, and a lifecycle.
 * Every backend passes the same contract suite (`@certus-trust/storage/testing`).
 */
export interface Storage extends RecordStorage, LogStorage {
  /** Short backend name for logs and metrics: `memory`, `postgres`, `pglite`. */
  readonly backend: string
  /**
   * Releases what the storage owns. Idempotent; every other method rejects with `STORAGE_CLOSED` afterwards.
   * Resources handed in by the caller (a `pg.Pool`, a PGlite instance) are left open.
   */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}
