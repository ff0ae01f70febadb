import type { LogStorage, LogTree } from '@certus-trust/storage'
import {
  createSqlLog,
  KeyedMutex,
  LOG_COLUMNS,
  logErrors,
  type SqlLogStatements,
} from '@certus-trust/storage/backend'
import { toStorageError } from './database-errors.js'
import { ADVISORY_LOCK_NAMESPACE, type Row, type SqlDriver, type SqlSession } from './driver.js'
import type { RunOperation } from './sql-records.js'
import { chunks, POSTGRES_DIALECT, ROWS_PER_INSERT, rows, valuesList } from './sql-rows.js'

const { leaf: LEAF_COLUMNS, tree: TREE_COLUMNS } = LOG_COLUMNS

const first = async (session: SqlSession, sql: string, params: unknown[]): Promise<Row | undefined> =>
  (await session.query(sql, params))[0]

/** Stores a tree record; a unique violation names what it means (a race the callers' checks could not see). */
async function insertTree(session: SqlSession, tree: LogTree): Promise<void> {
  try {
    await session.query(
      `INSERT INTO certus_log_trees (${TREE_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6::bigint, $7, $8::timestamptz, $9::timestamptz)`,
      rows.treeValues(tree),
    )
  } catch (error) {
    throw toStorageError(error, {
      certus_log_trees_pkey: () => logErrors.treeExists(tree.treeId),
      certus_log_trees_one_active: logErrors.activeTreeExists,
    })
  }
}

/** The statements of a rotation, on a session that holds `treeId`'s write lock. */
async function rotate(session: SqlSession, treeId: string, frozenTime: Date, next: LogTree): Promise<void> {
  const current = await first(
    session,
    'SELECT frozen_at FROM certus_log_trees WHERE tree_id = $1 FOR UPDATE',
    [treeId],
  )
  if (!current) throw logErrors.treeNotFound(treeId)
  if (current.frozen_at !== null && current.frozen_at !== undefined) throw logErrors.treeFrozen(treeId)
  if (await first(session, 'SELECT 1 FROM certus_log_trees WHERE tree_id = $1', [next.treeId]))
    throw logErrors.treeExists(next.treeId)
  if (await first(session, 'SELECT 1 FROM certus_log_trees WHERE active AND tree_id <> $1', [treeId]))
    throw logErrors.activeTreeExists()
  await session.query(
    'UPDATE certus_log_trees SET active = false, frozen_at = $2::timestamptz WHERE tree_id = $1',
    [treeId, frozenTime],
  )
  await insertTree(session, next)
}

/**
 * The log's PostgreSQL statements that differ from SQLite's by more than parameter names. Writes insert up to
 * {@link ROWS_PER_INSERT} rows per statement (one round trip for a whole batch of leaves); lookups by key match a
 * list with the key columns' types; a tree's unique violations are mapped, as concurrent writers can race.
 */
const statements: SqlLogStatements<SqlSession> = {
  query: (session, sql, params) => session.query(sql, params),
  leavesByHash: (session, treeId, hashes) =>
    session.query(
      `SELECT ${LEAF_COLUMNS} FROM certus_log_leaves WHERE tree_id = $1 AND leaf_hash IN (${hashes.map((_, i) => `$${i + 2}`).join(', ')})`,
      [treeId, ...hashes],
    ),
  nodes: (session, treeId, keys) => {
    const params: unknown[] = [treeId]
    for (const key of keys) params.push(key.level, key.index)
    return session.query(
      `SELECT level, node_index, hash FROM certus_log_nodes WHERE tree_id = $1 AND (level, node_index) IN (${valuesList(keys.length, 2, 1, ['::smallint', '::bigint'])})`,
      params,
    )
  },
  async insertLeaves(session, treeId, leaves) {
    for (const chunk of chunks(leaves, ROWS_PER_INSERT)) {
      const params: unknown[] = []
      for (const leaf of chunk) rows.leafValues(leaf, params)
      const insertLeaves = `INSERT INTO certus_log_leaves (${LEAF_COLUMNS}) VALUES ${valuesList(chunk.length, 7, 0, ['', '::bigint', '::bytea', '::bytea', '::bigint', '::bytea', '::text[]'])}`
      const keys = chunk.flatMap((leaf) =>
        leaf.searchKeys.map((key) => [key, treeId, leaf.leafIndex] as const),
      )
      const insertKeys = (rowCount: number, offset: number) =>
        `INSERT INTO certus_log_search_keys (search_key, tree_id, leaf_index) VALUES ${valuesList(rowCount, 3, offset, ['', '', '::bigint'])}`
      if (keys.length > 0 && keys.length <= ROWS_PER_INSERT) {
        // One statement, one round trip: the leaves in a data-modifying CTE, their search keys in the main INSERT
        // (whose foreign key to the leaves is checked at the end of the statement, when both are in).
        await session.query(
          `WITH inserted_leaves AS (${insertLeaves}) ${insertKeys(keys.length, params.length)}`,
          [...params, ...keys.flat()],
        )
        continue
      }
      await session.query(insertLeaves, params)
      for (const keyChunk of chunks(keys, ROWS_PER_INSERT))
        await session.query(insertKeys(keyChunk.length, 0), keyChunk.flat())
    }
  },
  async insertNodes(session, treeId, nodes) {
    for (const chunk of chunks(nodes, ROWS_PER_INSERT)) {
      const params: unknown[] = []
      for (const node of chunk) params.push(treeId, node.level, node.index, node.hash)
      await session.query(
        `INSERT INTO certus_log_nodes (tree_id, level, node_index, hash) VALUES ${valuesList(chunk.length, 4, 0, ['', '::smallint', '::bigint', '::bytea'])}`,
        params,
      )
    }
  },
  // Check and write in one round trip: `clash` reads the stored nodes as the statement starts (nothing else writes
  // this tree: the caller holds its lock), and the INSERT writes nothing when any stored node differs.
  async putNewNodes(session, treeId, nodes) {
    const params: unknown[] = [treeId]
    nodes.forEach((node, position) => {
      params.push(position, node.level, node.index, node.hash)
    })
    const [clash] = await session.query(
      `WITH v (position, level, node_index, hash) AS (VALUES ${valuesList(nodes.length, 4, 1, ['::int', '::smallint', '::bigint', '::bytea'])}),
       clash AS (
         SELECT v.position, v.level, v.node_index FROM v
         JOIN certus_log_nodes n ON n.tree_id = $1 AND n.level = v.level AND n.node_index = v.node_index
         WHERE n.hash <> v.hash
       ),
       inserted AS (
         INSERT INTO certus_log_nodes (tree_id, level, node_index, hash)
         SELECT $1, level, node_index, hash FROM v WHERE NOT EXISTS (SELECT 1 FROM clash)
         ON CONFLICT (tree_id, level, node_index) DO NOTHING
       )
       SELECT level, node_index FROM clash ORDER BY position LIMIT 1`,
      params,
    )
    return clash ? { level: Number(clash.level), index: Number(clash.node_index) } : undefined
  },
  insertTree,
  rotate,
}

/** The log half of a SQL backend: the shared log over pg/PGlite statements and PostgreSQL's advisory tree locks. */
export function createSqlLogStorage(
  driver: SqlDriver,
  run: RunOperation,
  assertOpen: () => void,
): LogStorage {
  // Writers of one tree in this process queue here rather than each holding a pooled connection while blocked on
  // the advisory lock (which only has to arbitrate between processes).
  const treeMutex = new KeyedMutex()
  return createSqlLog<SqlSession>({
    dialect: POSTGRES_DIALECT,
    statements,
    keysPerStatement: ROWS_PER_INSERT,
    reader: driver,
    run,
    wrap: (error) => toStorageError(error),
    assertOpen,
    transaction: (treeId, body) =>
      treeMutex.run(treeId, () =>
        driver.transaction(async (session) => {
          // Transaction-scoped: released by COMMIT/ROLLBACK, also when the connection dies.
          await session.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
            ADVISORY_LOCK_NAMESPACE + 1,
            treeId,
          ])
          return body(session)
        }),
      ),
    createTree: (tree) => insertTree(driver, tree),
  })
}
