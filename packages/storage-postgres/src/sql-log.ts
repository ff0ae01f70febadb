import type { LogStorage, LogWriteTransaction } from '@certus-trust/storage'
import {
  assertIndex,
  assertNodeKeys,
  isStorableText,
  isValidTreeId,
  KeyedMutex,
  logErrors,
  normalizeDate,
  normalizeLogTree,
  resolveSearchLimit,
} from '@certus-trust/storage/backend'
import { toStorageError } from './database-errors.js'
import type { SqlDriver } from './driver.js'
import type { RunOperation } from './sql-records.js'
import {
  bytes,
  LEAF_COLUMNS,
  latestHead,
  leafCount,
  leavesByHash,
  num,
  readNodes,
  TREE_COLUMNS,
  toHead,
  toLeaf,
  toTree,
} from './sql-rows.js'
import { insertTree, lockTree, rotateOn } from './sql-trees.js'
import { writeTransaction } from './sql-write-transaction.js'

/**
 * Runs `fn` in a transaction holding the tree's advisory write lock. Writers of one tree in this process queue on
 * `treeMutex` first rather than each holding a pooled connection while blocked on the advisory lock.
 */
async function withTreeLockOn<T>(
  driver: SqlDriver,
  treeMutex: KeyedMutex,
  assertOpen: () => void,
  treeId: string,
  fn: (tx: LogWriteTransaction) => Promise<T>,
): Promise<T> {
  assertOpen()
  if (!isValidTreeId(treeId)) throw logErrors.treeNotFound(String(treeId))
  let finished = false
  let callbackError: { error: unknown } | undefined
  try {
    // Writers of one tree in this process queue here rather than each holding a pooled connection
    // while blocked on the advisory lock (which only has to arbitrate between processes).
    return await treeMutex.run(treeId, () =>
      driver.transaction(async (session) => {
        // Transaction-scoped: released by COMMIT/ROLLBACK, also when the connection dies.
        await lockTree(session, treeId)
        const tree = await session.query('SELECT 1 FROM certus_log_trees WHERE tree_id = $1', [treeId])
        if (tree.length === 0) throw logErrors.treeNotFound(treeId)
        try {
          const result = await fn(writeTransaction(session, treeId, () => finished, assertOpen))
          assertOpen()
          return result
        } catch (error) {
          callbackError = { error }
          throw error
        } finally {
          finished = true
        }
      }),
    )
  } catch (error) {
    // The callback's own error comes back unchanged; only driver failures (BEGIN, lock, COMMIT) are wrapped.
    if (callbackError && callbackError.error === error) throw error
    throw toStorageError(error)
  }
}

async function leafHashesOf(
  driver: SqlDriver,
  treeId: string,
  start: number,
  end: number,
): Promise<Uint8Array[]> {
  assertIndex('start', start)
  assertIndex('end', end)
  if (start > end) throw logErrors.invalidRange(start, end)
  if (!isValidTreeId(treeId)) {
    if (end > 0) throw logErrors.leafRangeNotFound(String(treeId), start, end)
    return []
  }
  if (start === end) {
    // Still an error when the (empty) range starts beyond the stored leaves, as in memory.
    if (end > (await leafCount(driver, String(treeId))))
      throw logErrors.leafRangeNotFound(String(treeId), start, end)
    return []
  }
  const rows = await driver.query(
    'SELECT leaf_hash FROM certus_log_leaves WHERE tree_id = $1 AND leaf_index >= $2::bigint AND leaf_index < $3::bigint ORDER BY leaf_index',
    [String(treeId), start, end],
  )
  if (rows.length !== end - start) throw logErrors.leafRangeNotFound(String(treeId), start, end)
  return rows.map((row) => bytes(row.leaf_hash))
}

/** Tree records: create, rotate (under the old tree's lock), list. */
function treeOperations(
  driver: SqlDriver,
  run: RunOperation,
): Pick<LogStorage, 'createTree' | 'rotateTree' | 'listTrees'> {
  return {
    createTree: (tree) => {
      let treeId = ''
      return run(
        async () => {
          const value = normalizeLogTree(tree)
          treeId = value.treeId
          await insertTree(driver, value)
        },
        {
          certus_log_trees_pkey: () => logErrors.treeExists(treeId),
          certus_log_trees_one_active: logErrors.activeTreeExists,
        },
      )
    },

    rotateTree: (treeId, frozenAt, nextTree) => {
      let nextId = ''
      return run(
        async () => {
          const next = normalizeLogTree({
            ...nextTree,
            active: true,
            frozenAt: undefined,
          })
          nextId = next.treeId
          const frozenTime = normalizeDate('frozenAt', frozenAt)
          if (!isValidTreeId(treeId)) throw logErrors.treeNotFound(String(treeId))
          await driver.transaction(async (tx) => {
            // The old tree's write lock first (as withTreeLock takes it), so a writer that is between its checks
            // and its COMMIT finishes before the tree is frozen, and every later writer sees it frozen.
            await lockTree(tx, String(treeId))
            await rotateOn(tx, String(treeId), frozenTime, next)
          })
        },
        {
          certus_log_trees_pkey: () => logErrors.treeExists(nextId),
          certus_log_trees_one_active: logErrors.activeTreeExists,
        },
      )
    },

    listTrees: () =>
      run(async () =>
        (await driver.query(`SELECT ${TREE_COLUMNS} FROM certus_log_trees ORDER BY seq`)).map(toTree),
      ),
  }
}

/** The log half of a SQL backend: trees, the write lock, and reads of leaves, nodes and heads. */
export function createSqlLog(driver: SqlDriver, run: RunOperation, assertOpen: () => void): LogStorage {
  const treeMutex = new KeyedMutex()
  return {
    ...treeOperations(driver, run),

    withTreeLock: (treeId, fn) => withTreeLockOn(driver, treeMutex, assertOpen, treeId, fn),

    getLeafCount: (treeId) => run(() => leafCount(driver, String(treeId))),

    getLeafByIndex: (treeId, leafIndex) =>
      run(async () => {
        assertIndex('leafIndex', leafIndex)
        if (!isValidTreeId(treeId)) return undefined
        const rows = await driver.query(
          `SELECT ${LEAF_COLUMNS} FROM certus_log_leaves WHERE tree_id = $1 AND leaf_index = $2::bigint`,
          [String(treeId), leafIndex],
        )
        return rows[0] ? toLeaf(rows[0]) : undefined
      }),

    getLeafByHash: (treeId, leafHash) =>
      run(async () => {
        if (!(leafHash instanceof Uint8Array)) return undefined
        return (await leavesByHash(driver, String(treeId), [leafHash]))[0]
      }),

    getLeafHashes: (treeId, start, end) => run(() => leafHashesOf(driver, treeId, start, end)),

    findLeavesBySearchKey: (key, limit) =>
      run(async () => {
        const max = resolveSearchLimit(limit)
        // No stored key can contain what writes refuse, so such a key matches nothing (as in memory).
        if (typeof key !== 'string' || !isStorableText(key)) return []
        const rows = await driver.query(
          `SELECT s.tree_id, s.leaf_index FROM certus_log_search_keys s JOIN certus_log_trees t ON t.tree_id = s.tree_id
           WHERE s.search_key = $1 ORDER BY t.start_index, t.seq, s.leaf_index LIMIT $2`,
          [key, max],
        )
        return rows.map((row) => ({
          treeId: String(row.tree_id),
          leafIndex: num(row.leaf_index),
        }))
      }),

    getNodes: (treeId, keys) =>
      run(async () => {
        assertNodeKeys(keys)
        return keys.length === 0 ? new Map() : readNodes(driver, String(treeId), keys)
      }),

    getLatestTreeHead: (treeId) => run(() => latestHead(driver, String(treeId))),

    getTreeHead: (treeId, treeSize) =>
      run(async () => {
        assertIndex('treeSize', treeSize)
        if (!isValidTreeId(treeId)) return undefined
        const rows = await driver.query(
          'SELECT tree_id, tree_size, root_hash, checkpoint, created_at FROM certus_log_tree_heads WHERE tree_id = $1 AND tree_size = $2::bigint',
          [String(treeId), treeSize],
        )
        return rows[0] ? toHead(rows[0]) : undefined
      }),
  }
}
