import type { Logger } from '@certus-trust/core'
import { type Storage, StorageError } from '@certus-trust/storage'
import type { TransparencyLog } from '@certus-trust/tlog'
import { reconciledRecord } from './reconciled-record.js'

/**
 * The search key the service's embedded witness stores with every entry it appends for a signing: a record of
 * that entry is due. Entries that Rekor API clients or `certus sign` append carry none and are never "orphans".
 */
export const RECORD_DUE_SEARCH_KEY = 'certus:record-due'

/** Options of {@link reconcileOrphans}. */
export interface ReconcileOptions {
  /** The records' storage, which is also the embedded log's. */
  storage: Storage
  /** The embedded log whose marked entries should all have records. */
  log: TransparencyLog
  /**
   * Leave entries integrated less than this many seconds ago alone: their signing may still be writing the
   * record. 0 when no other process can be signing into this storage (SQLite, PGlite: the data directory is
   * locked). @default 0
   */
  graceSeconds?: number
  /** Entries examined per query. @default 100 */
  batchSize?: number
  logger?: Logger | undefined
  /** @default () => new Date() */
  now?: () => Date
}

/** What one {@link reconcileOrphans} run did. */
export interface ReconcileResult {
  /** Marked entries found without a record. */
  orphans: number
  /** Records written for them. */
  reconciled: number
  /** Orphans whose record could not be written (logged; retried on the next run). */
  failed: number
  /** False when the storage cannot find orphans (a third-party backend without `findUnrecordedLeaves`). */
  supported: boolean
}

/**
 * Writes the missing record of every entry the embedded log holds for a signing whose record write never
 * happened (the process died, or the database failed, between the append and the record). The append and the
 * record are two transactions because the log batches many signings into one; this closes the gap after the
 * fact, from the log entry alone (see `reconciledRecord`). Safe to run concurrently with signing and with
 * other processes: a record that appears meanwhile wins (`STORAGE_CONFLICT` is "already recorded").
 */
export async function reconcileOrphans(options: ReconcileOptions): Promise<ReconcileResult> {
  // Marks of entries whose record exists are dropped after each run, so a run costs in proportion to the
  // entries signed since the last one, not to the size of the log.
  const { storage } = options
  const result: ReconcileResult = { orphans: 0, reconciled: 0, failed: 0, supported: false }
  if (!storage.findUnrecordedLeaves) return result
  result.supported = true
  const now = (options.now ?? (() => new Date()))()
  const integratedBefore = Math.floor(now.getTime() / 1000) - (options.graceSeconds ?? 0)
  const limit = options.batchSize ?? 100
  const startIndex = new Map((await storage.listTrees()).map((tree) => [tree.treeId, tree.startIndex]))
  let after: { treeId: string; leafIndex: number } | undefined
  for (;;) {
    const leaves = await storage.findUnrecordedLeaves({
      searchKey: RECORD_DUE_SEARCH_KEY,
      integratedBefore,
      limit,
      ...(after ? { after } : {}),
    })
    for (const leaf of leaves) {
      result.orphans += 1
      const written = await recordLeaf(options, (startIndex.get(leaf.treeId) ?? 0) + leaf.leafIndex)
      if (written === 'written') result.reconciled += 1
      if (written === 'failed') result.failed += 1
    }
    if (leaves.length < limit) break
    after = leaves[leaves.length - 1]
  }
  await forgetRecordedMarks(storage, integratedBefore)
  return result
}

/**
 * Drops the marks of entries that have their record, a chunk at a time (yielding between chunks: SQLite queries
 * run on the event loop), so the next run only examines entries signed since.
 */
async function forgetRecordedMarks(storage: Storage, integratedBefore: number): Promise<void> {
  if (!storage.forgetRecordedMarks) return
  const limit = 1000
  for (;;) {
    const forgotten = await storage.forgetRecordedMarks({
      searchKey: RECORD_DUE_SEARCH_KEY,
      integratedBefore,
      limit,
    })
    if (forgotten < limit) return
    await new Promise((resolve) => setImmediate(resolve))
  }
}

async function recordLeaf(
  options: ReconcileOptions,
  logIndex: number,
): Promise<'written' | 'present' | 'failed'> {
  try {
    const entry = await options.log.getEntryByIndex(logIndex)
    if (!entry) throw new Error(`log index ${logIndex} is not readable`)
    await options.storage.saveSignedArtifact(reconciledRecord(entry))
    options.logger?.warn({ logIndex, entryUuid: entry.uuid }, 'reconciled a log entry that had no record')
    return 'written'
  } catch (error) {
    // The signing's own record (or another reconciler's) landed first: nothing is missing any more.
    if (StorageError.is(error) && error.code === 'STORAGE_CONFLICT') return 'present'
    options.logger?.error({ err: error, logIndex }, 'could not reconcile a log entry without a record')
    return 'failed'
  }
}
