import type { LogStorage, LogTree } from '@certus-trust/storage'
import { createSqlLog, LOG_COLUMNS, logErrors, type SqlLogStatements } from '@certus-trust/storage/backend'
import type { Params, SqliteConnection } from './connection.js'
import type { OperationContext } from './records.js'
import { rows, SQLITE_DIALECT } from './rows.js'
import type { Writer } from './writer.js'

const { leaf: LEAF_COLUMNS, tree: TREE_COLUMNS } = LOG_COLUMNS

// Keeps every statement far below SQLite's bound-parameter limit (32766).
const KEYS_PER_STATEMENT = 400

/**
 * The statements that look nodes and leaves up by key, for `count` keys. Both match row values against a VALUES
 * list: SQLite's planner then probes the full key (`(tree_id, level, node_index)`, the `(tree_id, leaf_hash)`
 * unique index) once per key. A plain `tree_id = ? AND leaf_hash IN (…)` made it walk every leaf of the tree
 * instead (the primary key's `tree_id` prefix), an O(n) duplicate check on every appended batch.
 */
export const selectNodesSql = (count: number) =>
  `SELECT level, node_index, hash FROM certus_log_nodes WHERE tree_id = ? AND (level, node_index) IN (VALUES ${Array.from({ length: count }, () => '(?, ?)').join(', ')})`
export const selectLeavesByHashSql = (count: number) =>
  `SELECT ${LEAF_COLUMNS} FROM certus_log_leaves WHERE (tree_id, leaf_hash) IN (VALUES ${Array.from({ length: count }, () => '(?, ?)').join(', ')})`

/** Stores a tree: checked first (one writer, so race-free), as the in-memory backend orders its errors. */
function insertTree(connection: SqliteConnection, tree: LogTree): void {
  if (connection.get('SELECT 1 FROM certus_log_trees WHERE tree_id = ?', [tree.treeId]))
    throw logErrors.treeExists(tree.treeId)
  if (tree.active && connection.get('SELECT 1 FROM certus_log_trees WHERE active = 1'))
    throw logErrors.activeTreeExists()
  connection.run(
    `INSERT INTO certus_log_trees (${TREE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    rows.treeValues(tree) as Params,
  )
}

/** The statements of a rotation, on the writer connection inside a transaction. */
function rotate(connection: SqliteConnection, treeId: string, frozenAt: Date, next: LogTree): void {
  const current = connection.get('SELECT frozen_at FROM certus_log_trees WHERE tree_id = ?', [treeId])
  if (!current) throw logErrors.treeNotFound(treeId)
  if (current.frozen_at !== null) throw logErrors.treeFrozen(treeId)
  if (connection.get('SELECT 1 FROM certus_log_trees WHERE tree_id = ?', [next.treeId]))
    throw logErrors.treeExists(next.treeId)
  if (connection.get('SELECT 1 FROM certus_log_trees WHERE active = 1 AND tree_id <> ?', [treeId]))
    throw logErrors.activeTreeExists()
  connection.run('UPDATE certus_log_trees SET active = 0, frozen_at = ? WHERE tree_id = ?', [
    frozenAt.getTime(),
    treeId,
  ])
  insertTree(connection, next)
}

/**
 * The log's SQLite statements that differ from PostgreSQL's by more than parameter names; synchronous (node:sqlite
 * runs in this thread). Writes insert a row per cached statement: in process, that costs no round trip (PostgreSQL's
 * statements batch rows to save them). Trees are checked before they are written (one writer, so race-free).
 */
const statements: SqlLogStatements<SqliteConnection> = {
  query: (connection, sql, params) => connection.all(sql, params as Params),
  leavesByHash: (connection, treeId, hashes) =>
    connection.all(
      selectLeavesByHashSql(hashes.length),
      hashes.flatMap((hash) => [treeId, hash]),
    ),
  nodes: (connection, treeId, keys) => {
    const params: Array<string | number> = [treeId]
    for (const key of keys) params.push(key.level, key.index)
    return connection.all(selectNodesSql(keys.length), params)
  },
  insertLeaves(connection, treeId, leaves) {
    for (const leaf of leaves) {
      connection.run(
        `INSERT INTO certus_log_leaves (${LEAF_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        rows.leafValues(leaf) as Params,
      )
      for (const key of new Set(leaf.searchKeys)) {
        connection.run(
          'INSERT INTO certus_log_search_keys (search_key, tree_id, leaf_index) VALUES (?, ?, ?)',
          [key, treeId, leaf.leafIndex],
        )
      }
    }
  },
  insertNodes(connection, treeId, nodes) {
    for (const node of nodes) {
      connection.run('INSERT INTO certus_log_nodes (tree_id, level, node_index, hash) VALUES (?, ?, ?, ?)', [
        treeId,
        node.level,
        node.index,
        node.hash,
      ])
    }
  },
  insertTree,
  rotate,
}

/**
 * The log half of the SQLite storage. Readers use `reader` and see only committed state; writers hold the
 * database's single write lock (`BEGIN IMMEDIATE`), which is per database rather than per tree: a SQLite
 * file has one writer at a time anyway, and log batches are short.
 */
export function createSqliteLog(
  reader: SqliteConnection,
  writer: Writer,
  { run, wrap, assertOpen }: OperationContext,
): LogStorage {
  return createSqlLog<SqliteConnection>({
    dialect: SQLITE_DIALECT,
    statements,
    keysPerStatement: KEYS_PER_STATEMENT,
    reader,
    run,
    wrap,
    assertOpen,
    transaction: (_treeId, body) => writer.transaction(body),
    createTree: (tree) => writer.transaction((connection) => insertTree(connection, tree)),
  })
}
