import type { LogLeaf, LogStorage, LogTree, LogTreeHead, LogWriteTransaction } from '@certus-trust/storage'
import {
  assertIndex,
  assertNodeKeys,
  bytesEqual,
  checkLeafBatch,
  dedupeNodes,
  isStorableText,
  isValidTreeId,
  logErrors,
  nodeKey,
  normalizeDate,
  normalizeLogLeaves,
  normalizeLogNodes,
  normalizeLogTree,
  normalizeLogTreeHead,
  resolveSearchLimit,
} from '@certus-trust/storage/backend'
import type { SqliteConnection } from './connection.js'
import type { OperationContext, Runner } from './records.js'
import { HEAD_COLUMNS, LEAF_COLUMNS, TREE_COLUMNS, toHead, toLeaf, toTree } from './rows.js'
import type { Writer } from './writer.js'

// Keeps every statement far below SQLite's bound-parameter limit (32766).
const KEYS_PER_STATEMENT = 400

const hex = (value: Uint8Array) => Buffer.from(value).toString('hex')

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

function chunks<T>(items: ReadonlyArray<T>, size: number): T[][] {
  const result: T[][] = []
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size))
  return result
}

// Reads shared by the storage (reader connection) and a write transaction (writer connection). A tree id no
// tree can have is answered without a query, as "absent", exactly as the in-memory backend does.

function leafCount(connection: SqliteConnection, treeId: string): number {
  if (!isValidTreeId(treeId)) return 0
  const row = connection.get(
    'SELECT leaf_index FROM certus_log_leaves WHERE tree_id = ? ORDER BY leaf_index DESC LIMIT 1',
    [treeId],
  )
  return row === undefined ? 0 : Number(row.leaf_index) + 1
}

function latestHead(connection: SqliteConnection, treeId: string): LogTreeHead | undefined {
  if (!isValidTreeId(treeId)) return undefined
  const row = connection.get(
    `SELECT ${HEAD_COLUMNS} FROM certus_log_tree_heads WHERE tree_id = ? ORDER BY tree_size DESC LIMIT 1`,
    [treeId],
  )
  return row ? toHead(row) : undefined
}

function readNodes(
  connection: SqliteConnection,
  treeId: string,
  keys: ReadonlyArray<{ level: number; index: number }>,
): Map<string, Uint8Array> {
  assertNodeKeys(keys)
  const result = new Map<string, Uint8Array>()
  if (!isValidTreeId(treeId)) return result
  for (const chunk of chunks(keys, KEYS_PER_STATEMENT)) {
    const params: Array<string | number> = [treeId]
    for (const key of chunk) params.push(key.level, key.index)
    const rows = connection.all(selectNodesSql(chunk.length), params)
    const found = new Map(
      rows.map((row) => [
        nodeKey(Number(row.level), Number(row.node_index)),
        new Uint8Array(row.hash as Uint8Array),
      ]),
    )
    // Keep the caller's key order, as the in-memory backend does.
    for (const key of chunk) {
      const name = nodeKey(key.level, key.index)
      const hash = found.get(name)
      if (hash) result.set(name, hash)
    }
  }
  return result
}

function leavesByHash(
  connection: SqliteConnection,
  treeId: string,
  hashes: ReadonlyArray<Uint8Array>,
): LogLeaf[] {
  if (!isValidTreeId(treeId) || !Array.isArray(hashes)) return []
  const valid = hashes.filter((hash) => hash instanceof Uint8Array)
  const found = new Map<string, LogLeaf>()
  for (const chunk of chunks(valid, KEYS_PER_STATEMENT)) {
    const rows = connection.all(
      selectLeavesByHashSql(chunk.length),
      chunk.flatMap((hash) => [treeId, hash]),
    )
    for (const row of rows) {
      const leaf = toLeaf(row)
      found.set(hex(leaf.leafHash), leaf)
    }
  }
  const result: LogLeaf[] = []
  for (const hash of valid) {
    const leaf = found.get(hex(hash))
    // Fresh copies per requested hash: a caller asking twice for one hash gets two independent objects.
    if (leaf)
      result.push({
        ...leaf,
        leafHash: new Uint8Array(leaf.leafHash),
        body: new Uint8Array(leaf.body),
        signedEntryTimestamp: new Uint8Array(leaf.signedEntryTimestamp),
        searchKeys: [...leaf.searchKeys],
      })
  }
  return result
}

function readTree(connection: SqliteConnection, treeId: string): LogTree | undefined {
  if (!isValidTreeId(treeId)) return undefined
  const row = connection.get(`SELECT ${TREE_COLUMNS} FROM certus_log_trees WHERE tree_id = ?`, [treeId])
  return row ? toTree(row) : undefined
}

function insertTree(connection: SqliteConnection, tree: LogTree): void {
  if (connection.get('SELECT 1 FROM certus_log_trees WHERE tree_id = ?', [tree.treeId]))
    throw logErrors.treeExists(tree.treeId)
  if (tree.active && connection.get('SELECT 1 FROM certus_log_trees WHERE active = 1'))
    throw logErrors.activeTreeExists()
  connection.run(
    `INSERT INTO certus_log_trees (tree_id, origin, public_key_pem, key_algorithm, log_id, start_index, active, created_at, frozen_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      tree.treeId,
      tree.origin,
      tree.publicKeyPem,
      tree.keyAlgorithm,
      tree.logId,
      tree.startIndex,
      tree.active ? 1 : 0,
      tree.createdAt.getTime(),
      tree.frozenAt?.getTime() ?? null,
    ],
  )
}

/** The statements of a rotation, on the writer connection inside a transaction. */
function rotateOn(connection: SqliteConnection, treeId: string, frozenAt: Date, next: LogTree): void {
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

function appendLeaves(connection: SqliteConnection, treeId: string, leaves: ReadonlyArray<LogLeaf>): void {
  const values = normalizeLogLeaves(treeId, leaves)
  checkLeafBatch(treeId, leafCount(connection, treeId), values)
  const stored = leavesByHash(
    connection,
    treeId,
    values.map((leaf) => leaf.leafHash),
  )
  if (stored.length > 0) {
    const storedHashes = new Set(stored.map((leaf) => hex(leaf.leafHash)))
    const first = values.find((leaf) => storedHashes.has(hex(leaf.leafHash)))!
    throw logErrors.duplicateLeaf(treeId, first.leafHash)
  }
  for (const leaf of values) {
    connection.run(`INSERT INTO certus_log_leaves (${LEAF_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
      treeId,
      leaf.leafIndex,
      leaf.leafHash,
      leaf.body,
      leaf.integratedTime,
      leaf.signedEntryTimestamp,
      JSON.stringify(leaf.searchKeys),
    ])
    for (const key of new Set(leaf.searchKeys)) {
      connection.run(
        'INSERT INTO certus_log_search_keys (search_key, tree_id, leaf_index) VALUES (?, ?, ?)',
        [key, treeId, leaf.leafIndex],
      )
    }
  }
}

function putNodes(
  connection: SqliteConnection,
  treeId: string,
  id: string,
  nodes: Parameters<LogWriteTransaction['putNodes']>[1],
): void {
  const values = dedupeNodes(treeId, normalizeLogNodes(treeId, id, nodes))
  const existing = readNodes(connection, treeId, values)
  for (const node of values) {
    const stored = existing.get(nodeKey(node.level, node.index))
    if (stored && !bytesEqual(stored, node.hash)) throw logErrors.nodeMismatch(treeId, node.level, node.index)
  }
  for (const node of values) {
    if (existing.has(nodeKey(node.level, node.index))) continue
    connection.run('INSERT INTO certus_log_nodes (tree_id, level, node_index, hash) VALUES (?, ?, ?, ?)', [
      treeId,
      node.level,
      node.index,
      node.hash,
    ])
  }
}

function putTreeHead(connection: SqliteConnection, treeId: string, head: LogTreeHead): void {
  const value = normalizeLogTreeHead(treeId, head)
  if (
    connection.get('SELECT 1 FROM certus_log_tree_heads WHERE tree_id = ? AND tree_size = ?', [
      treeId,
      value.treeSize,
    ])
  )
    throw logErrors.duplicateTreeHead(treeId, value.treeSize)
  connection.run(`INSERT INTO certus_log_tree_heads (${HEAD_COLUMNS}) VALUES (?, ?, ?, ?, ?)`, [
    treeId,
    value.treeSize,
    value.rootHash,
    value.checkpoint,
    value.createdAt.getTime(),
  ])
}

/** What a writer may do while it holds the write lock: every step on the writer connection's open transaction. */
function writeTransaction(
  connection: SqliteConnection,
  treeId: string,
  isFinished: () => boolean,
  run: Runner,
): LogWriteTransaction {
  const step: Runner = (operation) => {
    if (isFinished()) return Promise.reject(logErrors.transactionFinished())
    return run(operation)
  }
  return {
    getLeafCount: (id) => step(() => leafCount(connection, String(id))),
    getLatestTreeHead: (id) => step(() => latestHead(connection, String(id))),
    getNodes: (id, keys) => step(() => readNodes(connection, String(id), keys)),
    getLeavesByHash: (id, hashes) => step(() => leavesByHash(connection, String(id), hashes)),
    appendLeaves: (leaves) => step(() => appendLeaves(connection, treeId, leaves)),
    putNodes: (id, nodes) => step(() => putNodes(connection, treeId, String(id), nodes)),
    putTreeHead: (head) => step(() => putTreeHead(connection, treeId, head)),
    getTree: (id) => step(() => readTree(connection, String(id))),
    rotateTree: (frozenAt, nextTree) =>
      step(() => {
        const next = normalizeLogTree({ ...nextTree, active: true, frozenAt: undefined })
        rotateOn(connection, treeId, normalizeDate('frozenAt', frozenAt), next)
      }),
  }
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
  return {
    createTree: (tree) =>
      run(() => {
        const value = normalizeLogTree(tree)
        return writer.transaction((connection) => insertTree(connection, value))
      }),

    rotateTree: (treeId, frozenAt, nextTree) =>
      run(() => {
        const next = normalizeLogTree({ ...nextTree, active: true, frozenAt: undefined })
        const frozenTime = normalizeDate('frozenAt', frozenAt)
        if (!isValidTreeId(treeId)) throw logErrors.treeNotFound(String(treeId))
        return writer.transaction((connection) => rotateOn(connection, String(treeId), frozenTime, next))
      }),

    listTrees: () =>
      run(() => reader.all(`SELECT ${TREE_COLUMNS} FROM certus_log_trees ORDER BY seq`).map(toTree)),

    async withTreeLock(treeId, fn) {
      assertOpen()
      if (!isValidTreeId(treeId)) throw logErrors.treeNotFound(String(treeId))
      let finished = false
      let callbackError: { error: unknown } | undefined
      try {
        return await writer.transaction(async (connection) => {
          if (!connection.get('SELECT 1 FROM certus_log_trees WHERE tree_id = ?', [treeId]))
            throw logErrors.treeNotFound(treeId)
          try {
            const result = await fn(writeTransaction(connection, treeId, () => finished, run))
            assertOpen()
            return result
          } catch (error) {
            callbackError = { error }
            throw error
          } finally {
            finished = true
          }
        })
      } catch (error) {
        // The callback's own error comes back unchanged; only SQLite failures (BEGIN, COMMIT) are wrapped.
        if (callbackError && callbackError.error === error) throw error
        throw wrap(error)
      }
    },

    getLeafCount: (treeId) => run(() => leafCount(reader, String(treeId))),

    getLeafByIndex: (treeId, leafIndex) =>
      run(() => {
        assertIndex('leafIndex', leafIndex)
        if (!isValidTreeId(treeId)) return undefined
        const row = reader.get(
          `SELECT ${LEAF_COLUMNS} FROM certus_log_leaves WHERE tree_id = ? AND leaf_index = ?`,
          [String(treeId), leafIndex],
        )
        return row ? toLeaf(row) : undefined
      }),

    getLeafByHash: (treeId, leafHash) =>
      run(() =>
        leafHash instanceof Uint8Array ? leavesByHash(reader, String(treeId), [leafHash])[0] : undefined,
      ),

    getLeafHashes: (treeId, start, end) =>
      run(() => {
        assertIndex('start', start)
        assertIndex('end', end)
        if (start > end) throw logErrors.invalidRange(start, end)
        if (!isValidTreeId(treeId)) {
          if (end > 0) throw logErrors.leafRangeNotFound(String(treeId), start, end)
          return []
        }
        if (start === end) {
          // Still an error when the (empty) range starts beyond the stored leaves, as in memory.
          if (end > leafCount(reader, String(treeId)))
            throw logErrors.leafRangeNotFound(String(treeId), start, end)
          return []
        }
        const rows = reader.all(
          'SELECT leaf_hash FROM certus_log_leaves WHERE tree_id = ? AND leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index',
          [String(treeId), start, end],
        )
        if (rows.length !== end - start) throw logErrors.leafRangeNotFound(String(treeId), start, end)
        return rows.map((row) => new Uint8Array(row.leaf_hash as Uint8Array))
      }),

    findLeavesBySearchKey: (key, limit) =>
      run(() => {
        const max = resolveSearchLimit(limit)
        // No stored key can contain what writes refuse, so such a key matches nothing (as in memory).
        if (typeof key !== 'string' || !isStorableText(key)) return []
        const rows = reader.all(
          `SELECT s.tree_id, s.leaf_index FROM certus_log_search_keys s JOIN certus_log_trees t ON t.tree_id = s.tree_id
           WHERE s.search_key = ? ORDER BY t.start_index, t.seq, s.leaf_index LIMIT ?`,
          [key, max],
        )
        return rows.map((row) => ({ treeId: String(row.tree_id), leafIndex: Number(row.leaf_index) }))
      }),

    getNodes: (treeId, keys) =>
      run(() => {
        assertNodeKeys(keys)
        return keys.length === 0 ? new Map() : readNodes(reader, String(treeId), keys)
      }),

    getLatestTreeHead: (treeId) => run(() => latestHead(reader, String(treeId))),

    getTreeHead: (treeId, treeSize) =>
      run(() => {
        assertIndex('treeSize', treeSize)
        if (!isValidTreeId(treeId)) return undefined
        const row = reader.get(
          `SELECT ${HEAD_COLUMNS} FROM certus_log_tree_heads WHERE tree_id = ? AND tree_size = ?`,
          [String(treeId), treeSize],
        )
        return row ? toHead(row) : undefined
      }),
  }
}
