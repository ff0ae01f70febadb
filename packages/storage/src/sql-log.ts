import { bytesEqual } from '@certus-trust/core'
import type { StorageError } from './errors.js'
import type {
  LogLeaf,
  LogNode,
  LogStorage,
  LogTree,
  LogTreeHead,
  LogWriteTransaction,
} from './log-storage.js'
import {
  assertIndex,
  assertNodeKeys,
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
} from './log-validation.js'
import { type SqlDialect, type SqlRow, type SqlRowMappers, sqlRowMappers } from './sql-rows.js'

// SQLite's driver answers synchronously, pg's asynchronously: the shared steps await either.
type MaybePromise<T> = T | Promise<T>

/** Column lists of the log tables, as every SQL backend's schema names them (the `sqlRowMappers` columns). */
export const LOG_COLUMNS = {
  tree: 'tree_id, origin, public_key_pem, key_algorithm, log_id, start_index, active, created_at, frozen_at',
  leaf: 'tree_id, leaf_index, leaf_hash, body, integrated_time, signed_entry_timestamp, search_keys',
  head: 'tree_id, tree_size, root_hash, checkpoint, created_at',
} as const

/**
 * The log's statements that differ between SQL backends by more than how parameters are named (those the shared
 * code writes itself, with `dialect.param`), each on the connection `C` it is given (a pooled session, a
 * transaction, SQLite's reader or writer). The shared code validates the arguments first (tree ids are ones a tree
 * can have, key lists at most `keysPerStatement` long) and maps the rows they return.
 */
export interface SqlLogStatements<C> {
  /** Runs one statement the shared code wrote and returns its rows. */
  query(connection: C, sql: string, params: unknown[]): MaybePromise<SqlRow[]>
  /** The leaf rows (`LOG_COLUMNS.leaf`) among `hashes`, in any order. */
  leavesByHash(connection: C, treeId: string, hashes: ReadonlyArray<Uint8Array>): MaybePromise<SqlRow[]>
  /** The `level, node_index, hash` rows among `keys`, in any order. */
  nodes(
    connection: C,
    treeId: string,
    keys: ReadonlyArray<{ level: number; index: number }>,
  ): MaybePromise<SqlRow[]>
  /** Stores checked, normalised leaves and their search keys. */
  insertLeaves(connection: C, treeId: string, leaves: ReadonlyArray<LogLeaf>): MaybePromise<void>
  /** Stores checked, normalised nodes that are not stored yet. */
  insertNodes(connection: C, treeId: string, nodes: ReadonlyArray<LogNode>): MaybePromise<void>
  /**
   * Optional, for a backend whose statements cost a round trip: stores the checked, normalised nodes that are not
   * stored yet in one statement — unless one of them is stored with another hash: then stores none and returns the
   * first such node (in `nodes` order). Called with at most `keysPerStatement` nodes.
   */
  putNewNodes?(
    connection: C,
    treeId: string,
    nodes: ReadonlyArray<LogNode>,
  ): MaybePromise<{ level: number; index: number } | undefined>
  /** Stores a normalised tree (`STORAGE_CONFLICT` when its id, or another active tree, exists). */
  insertTree(connection: C, tree: LogTree): MaybePromise<void>
  /** Freezes `treeId` (it must exist, unfrozen) and stores `next` as the active tree, under `treeId`'s lock. */
  rotate(connection: C, treeId: string, frozenAt: Date, next: LogTree): MaybePromise<void>
}

/** The statements whose SQL differs between the backends only in how parameters are named. */
function sharedStatements(dialect: SqlDialect) {
  const p = dialect.param
  const { tree, leaf, head } = LOG_COLUMNS
  return {
    tree: `SELECT ${tree} FROM certus_log_trees WHERE tree_id = ${p(1)}`,
    trees: `SELECT ${tree} FROM certus_log_trees ORDER BY seq`,
    lastLeaf: `SELECT leaf_index FROM certus_log_leaves WHERE tree_id = ${p(1)} ORDER BY leaf_index DESC LIMIT 1`,
    leaf: `SELECT ${leaf} FROM certus_log_leaves WHERE tree_id = ${p(1)} AND leaf_index = ${p(2, 'bigint')}`,
    leafHashes: `SELECT leaf_hash FROM certus_log_leaves WHERE tree_id = ${p(1)} AND leaf_index >= ${p(2, 'bigint')}
      AND leaf_index < ${p(3, 'bigint')} ORDER BY leaf_index`,
    searchKey: `SELECT s.tree_id, s.leaf_index FROM certus_log_search_keys s JOIN certus_log_trees t ON t.tree_id = s.tree_id
      WHERE s.search_key = ${p(1)} ORDER BY t.start_index, t.seq, s.leaf_index LIMIT ${p(2)}`,
    latestHead: `SELECT ${head} FROM certus_log_tree_heads WHERE tree_id = ${p(1)} ORDER BY tree_size DESC LIMIT 1`,
    // Read once under the write lock: the tree's row, its last leaf and its latest head (one round trip for what
    // every append asks first). Scalar subqueries, so SQLite runs the same SQL.
    lockedTree: `SELECT ${tree},
      (SELECT leaf_index FROM certus_log_leaves l WHERE l.tree_id = t.tree_id ORDER BY leaf_index DESC LIMIT 1) AS last_leaf_index,
      ${['tree_size', 'root_hash', 'checkpoint', 'created_at']
        .map(
          (column) =>
            `(SELECT ${column} FROM certus_log_tree_heads h WHERE h.tree_id = t.tree_id ORDER BY tree_size DESC LIMIT 1) AS head_${column}`,
        )
        .join(',\n      ')}
      FROM certus_log_trees t WHERE t.tree_id = ${p(1)}`,
    treeHead: `SELECT ${head} FROM certus_log_tree_heads WHERE tree_id = ${p(1)} AND tree_size = ${p(2, 'bigint')}`,
    // A head that exists already inserts nothing and returns no row: one round trip for the write and its check.
    insertTreeHead: `INSERT INTO certus_log_tree_heads (${head})
      VALUES (${p(1)}, ${p(2, 'bigint')}, ${p(3, 'bytea')}, ${p(4)}, ${p(5, 'timestamptz')})
      ON CONFLICT (tree_id, tree_size) DO NOTHING RETURNING tree_size`,
  }
}

/** What {@link createSqlLog} needs from a SQL backend. */
export interface SqlLogBackend<C> {
  dialect: SqlDialect
  statements: SqlLogStatements<C>
  /** Lookups by key go in statements of at most this many keys (the driver's bound-parameter limit). */
  keysPerStatement: number
  /** The connection reads outside a write lock use (a pool, SQLite's query-only reader). */
  reader: C
  /** Runs one public operation: the closed check, then driver errors wrapped into StorageError. */
  run<T>(operation: () => MaybePromise<T>): Promise<T>
  /** Wraps a driver error (a StorageError passes through). */
  wrap(error: unknown): StorageError
  /** Throws `STORAGE_CLOSED` once the storage is closed. */
  assertOpen(): void
  /** Runs `body` in one transaction holding `treeId`'s write lock: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(treeId: string, body: (connection: C) => Promise<T>): Promise<T>
  /** Stores a normalised new tree in a transaction of its own. */
  createTree(tree: LogTree): Promise<void>
}

/** One log's backend, row mappers and shared statements, as the steps below use them. */
interface Log<C> {
  backend: SqlLogBackend<C>
  rows: SqlRowMappers
  sql: ReturnType<typeof sharedStatements>
  all(connection: C, sql: string, params: unknown[]): MaybePromise<SqlRow[]>
  first(connection: C, sql: string, params: unknown[]): Promise<SqlRow | undefined>
}

// Reads shared by the storage (its reader) and a write transaction (the connection holding the lock). A tree id no
// tree can have is answered without a query, as "absent", exactly as the in-memory backend does.

async function leafCount<C>(log: Log<C>, connection: C, treeId: string): Promise<number> {
  if (!isValidTreeId(treeId)) return 0
  const row = await log.first(connection, log.sql.lastLeaf, [treeId])
  return row === undefined ? 0 : Number(row.leaf_index) + 1
}

async function latestHead<C>(log: Log<C>, connection: C, treeId: string): Promise<LogTreeHead | undefined> {
  if (!isValidTreeId(treeId)) return undefined
  const row = await log.first(connection, log.sql.latestHead, [treeId])
  return row ? log.rows.toHead(row) : undefined
}

async function readTree<C>(log: Log<C>, connection: C, treeId: string): Promise<LogTree | undefined> {
  if (!isValidTreeId(treeId)) return undefined
  const row = await log.first(connection, log.sql.tree, [treeId])
  return row ? log.rows.toTree(row) : undefined
}

async function readNodes<C>(
  log: Log<C>,
  connection: C,
  treeId: string,
  keys: ReadonlyArray<{ level: number; index: number }>,
): Promise<Map<string, Uint8Array>> {
  assertNodeKeys(keys)
  const result = new Map<string, Uint8Array>()
  if (!isValidTreeId(treeId)) return result
  for (const chunk of chunks(keys, log.backend.keysPerStatement)) {
    const found = new Map(
      (await log.backend.statements.nodes(connection, treeId, chunk)).map((row) => [
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

async function leavesByHash<C>(
  log: Log<C>,
  connection: C,
  treeId: string,
  hashes: ReadonlyArray<Uint8Array>,
): Promise<LogLeaf[]> {
  if (!isValidTreeId(treeId) || !Array.isArray(hashes)) return []
  const valid = hashes.filter((hash) => hash instanceof Uint8Array)
  const found = new Map<string, LogLeaf>()
  for (const chunk of chunks(valid, log.backend.keysPerStatement)) {
    for (const row of await log.backend.statements.leavesByHash(connection, treeId, chunk)) {
      const leaf = log.rows.toLeaf(row)
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

/**
 * What a write transaction knows of its locked tree without asking again. Under the lock the transaction is the
 * tree's only writer, so what it read at the start and the leaf hashes it found absent stay true until its own
 * writes, which update them: the reads an append makes on every batch cost no round trip.
 */
interface LockedTreeState {
  leafCount: number
  latestHead: LogTreeHead | undefined
  /** Hex leaf hashes this transaction looked up and did not find. */
  absentHashes: Set<string>
}

function lockedTreeState<C>(log: Log<C>, row: SqlRow): LockedTreeState {
  const lastLeaf = row.last_leaf_index
  const latestHead =
    row.head_tree_size === null || row.head_tree_size === undefined
      ? undefined
      : log.rows.toHead({
          tree_id: row.tree_id,
          tree_size: row.head_tree_size,
          root_hash: row.head_root_hash,
          checkpoint: row.head_checkpoint,
          created_at: row.head_created_at,
        })
  return {
    leafCount: lastLeaf === null || lastLeaf === undefined ? 0 : Number(lastLeaf) + 1,
    latestHead,
    absentHashes: new Set(),
  }
}

/** A fresh copy, as every read returns: callers may change what they get. */
const copyHead = (head: LogTreeHead | undefined): LogTreeHead | undefined =>
  head && { ...head, rootHash: new Uint8Array(head.rootHash), createdAt: new Date(head.createdAt) }

/** Appends leaves (and their search keys), refusing a leaf hash the tree already holds. */
async function appendLeaves<C>(
  log: Log<C>,
  connection: C,
  treeId: string,
  leaves: ReadonlyArray<LogLeaf>,
  known: LockedTreeState,
): Promise<void> {
  const values = normalizeLogLeaves(treeId, leaves)
  checkLeafBatch(treeId, known.leafCount, values)
  // Checked before writing, so a rejection leaves the transaction usable (a failed PostgreSQL INSERT aborts it).
  const unchecked = values.filter((leaf) => !known.absentHashes.has(hex(leaf.leafHash)))
  const stored =
    unchecked.length === 0
      ? []
      : await leavesByHash(
          log,
          connection,
          treeId,
          unchecked.map((leaf) => leaf.leafHash),
        )
  if (stored.length > 0) {
    const storedHashes = new Set(stored.map((leaf) => hex(leaf.leafHash)))
    const first = values.find((leaf) => storedHashes.has(hex(leaf.leafHash)))!
    throw logErrors.duplicateLeaf(treeId, first.leafHash)
  }
  await log.backend.statements.insertLeaves(connection, treeId, values)
  known.leafCount += values.length
  for (const leaf of values) known.absentHashes.delete(hex(leaf.leafHash))
}

/** `getLeavesByHash` inside a write transaction: remembers which of the locked tree's hashes are absent. */
async function leavesByHashUnderLock<C>(
  log: Log<C>,
  connection: C,
  treeId: string,
  hashes: ReadonlyArray<Uint8Array>,
  known: LockedTreeState,
): Promise<LogLeaf[]> {
  const found = await leavesByHash(log, connection, treeId, hashes)
  const present = new Set(found.map((leaf) => hex(leaf.leafHash)))
  for (const hash of hashes) {
    if (hash instanceof Uint8Array && !present.has(hex(hash))) known.absentHashes.add(hex(hash))
  }
  return found
}

/** Stores the nodes not stored yet; a stored node with another hash is an inconsistency. */
async function putNodes<C>(
  log: Log<C>,
  connection: C,
  treeId: string,
  id: string,
  nodes: ReadonlyArray<LogNode>,
): Promise<void> {
  const values = dedupeNodes(treeId, normalizeLogNodes(treeId, id, nodes))
  const { putNewNodes } = log.backend.statements
  if (putNewNodes && values.length > 0 && values.length <= log.backend.keysPerStatement) {
    const clash = await putNewNodes(connection, treeId, values)
    if (clash) throw logErrors.nodeMismatch(treeId, clash.level, clash.index)
    return
  }
  const existing = await readNodes(log, connection, treeId, values)
  for (const node of values) {
    const stored = existing.get(nodeKey(node.level, node.index))
    if (stored && !bytesEqual(stored, node.hash)) throw logErrors.nodeMismatch(treeId, node.level, node.index)
  }
  const missing = values.filter((node) => !existing.has(nodeKey(node.level, node.index)))
  if (missing.length > 0) await log.backend.statements.insertNodes(connection, treeId, missing)
}

async function putTreeHead<C>(
  log: Log<C>,
  connection: C,
  treeId: string,
  head: LogTreeHead,
  known: LockedTreeState,
): Promise<void> {
  const value = normalizeLogTreeHead(treeId, head)
  const inserted = await log.first(connection, log.sql.insertTreeHead, [
    treeId,
    value.treeSize,
    value.rootHash,
    value.checkpoint,
    log.backend.dialect.bindDate(value.createdAt),
  ])
  if (!inserted) throw logErrors.duplicateTreeHead(treeId, value.treeSize)
  if (!known.latestHead || value.treeSize > known.latestHead.treeSize) known.latestHead = copyHead(value)
}

/** The operations of one `withTreeLock` callback, on the connection that holds the tree's lock. */
function writeTransaction<C>(
  log: Log<C>,
  connection: C,
  treeId: string,
  lockedTreeRow: SqlRow,
  isFinished: () => boolean,
): LogWriteTransaction {
  // The locked tree's row was read under the lock; nothing but this transaction's own rotation can change it before
  // COMMIT (rotations take the same lock), so `getTree` of that tree answers from it and saves a round trip.
  let lockedTree: SqlRow | undefined = lockedTreeRow
  const known = lockedTreeState(log, lockedTreeRow)
  const isLocked = (id: unknown) => String(id) === treeId
  // Every operation: finished and closed checks, then driver errors wrapped (the transaction stays usable after
  // our own rejections: every write checks before it writes).
  const step = <T>(operation: () => MaybePromise<T>): Promise<T> =>
    isFinished() ? Promise.reject(logErrors.transactionFinished()) : log.backend.run(operation)
  return {
    getLeafCount: (id) =>
      step(() => (isLocked(id) ? known.leafCount : leafCount(log, connection, String(id)))),
    getLatestTreeHead: (id) =>
      step(() => (isLocked(id) ? copyHead(known.latestHead) : latestHead(log, connection, String(id)))),
    getNodes: (id, keys) => step(() => readNodes(log, connection, String(id), keys)),
    getLeavesByHash: (id, hashes) =>
      step(() =>
        isLocked(id) && Array.isArray(hashes)
          ? leavesByHashUnderLock(log, connection, treeId, hashes, known)
          : leavesByHash(log, connection, String(id), hashes),
      ),
    getTree: (id) =>
      step(() =>
        String(id) === treeId && lockedTree
          ? log.rows.toTree(lockedTree)
          : readTree(log, connection, String(id)),
      ),
    appendLeaves: (leaves) => step(() => appendLeaves(log, connection, treeId, leaves, known)),
    putNodes: (id, nodes) => step(() => putNodes(log, connection, treeId, String(id), nodes)),
    putTreeHead: (head) => step(() => putTreeHead(log, connection, treeId, head, known)),
    rotateTree: (frozenAt, nextTree) =>
      step(() => {
        lockedTree = undefined
        const next = normalizeLogTree({ ...nextTree, active: true, frozenAt: undefined })
        return log.backend.statements.rotate(connection, treeId, normalizeDate('frozenAt', frozenAt), next)
      }),
  }
}

/** `withTreeLock`: the callback's own error comes back unchanged; only driver failures (BEGIN, lock, COMMIT) are wrapped. */
async function withTreeLock<C, T>(
  log: Log<C>,
  treeId: string,
  fn: (tx: LogWriteTransaction) => Promise<T>,
): Promise<T> {
  const { backend } = log
  backend.assertOpen()
  if (!isValidTreeId(treeId)) throw logErrors.treeNotFound(String(treeId))
  let finished = false
  let callbackError: { error: unknown } | undefined
  try {
    return await backend.transaction(treeId, async (connection) => {
      const lockedTree = await log.first(connection, log.sql.lockedTree, [treeId])
      if (!lockedTree) throw logErrors.treeNotFound(treeId)
      try {
        const result = await fn(writeTransaction(log, connection, treeId, lockedTree, () => finished))
        backend.assertOpen()
        return result
      } catch (error) {
        callbackError = { error }
        throw error
      } finally {
        finished = true
      }
    })
  } catch (error) {
    if (callbackError && callbackError.error === error) throw error
    throw backend.wrap(error)
  }
}

/** `getLeafHashes`: a range is complete or an error, also an empty one that starts beyond the stored leaves. */
async function leafHashes<C>(log: Log<C>, treeId: string, start: number, end: number): Promise<Uint8Array[]> {
  assertIndex('start', start)
  assertIndex('end', end)
  if (start > end) throw logErrors.invalidRange(start, end)
  if (!isValidTreeId(treeId)) {
    if (end > 0) throw logErrors.leafRangeNotFound(String(treeId), start, end)
    return []
  }
  const { reader } = log.backend
  if (start === end) {
    if (end > (await leafCount(log, reader, treeId))) throw logErrors.leafRangeNotFound(treeId, start, end)
    return []
  }
  const rows = await log.all(reader, log.sql.leafHashes, [treeId, start, end])
  if (rows.length !== end - start) throw logErrors.leafRangeNotFound(treeId, start, end)
  return rows.map((row) => new Uint8Array(row.leaf_hash as Uint8Array))
}

/** `findLeavesBySearchKey`, in log order. */
async function leavesBySearchKey<C>(log: Log<C>, key: string, limit: number | undefined) {
  const max = resolveSearchLimit(limit)
  // No stored key can contain what writes refuse, so such a key matches nothing (as in memory).
  if (typeof key !== 'string' || !isStorableText(key)) return []
  const rows = await log.all(log.backend.reader, log.sql.searchKey, [key, max])
  return rows.map((row) => ({ treeId: String(row.tree_id), leafIndex: Number(row.leaf_index) }))
}

/**
 * The log half of a SQL backend over its statements: every check, normalisation, ordering and error of the
 * in-memory backend, the same on every SQL backend; the backend supplies its dialect, the statements that differ,
 * its connections and its write lock.
 */
export function createSqlLog<C>(backend: SqlLogBackend<C>): LogStorage {
  const { statements, reader, run } = backend
  const all: Log<C>['all'] = (connection, sql, params) => statements.query(connection, sql, params)
  const log: Log<C> = {
    backend,
    rows: sqlRowMappers(backend.dialect),
    sql: sharedStatements(backend.dialect),
    all,
    first: async (connection, sql, params) => (await all(connection, sql, params))[0],
  }
  const { rows, sql } = log
  return {
    createTree: (tree) => run(() => backend.createTree(normalizeLogTree(tree))),
    rotateTree: (treeId, frozenAt, nextTree) =>
      run(() => {
        const next = normalizeLogTree({ ...nextTree, active: true, frozenAt: undefined })
        const frozenTime = normalizeDate('frozenAt', frozenAt)
        if (!isValidTreeId(treeId)) throw logErrors.treeNotFound(String(treeId))
        // Under the old tree's write lock (as withTreeLock takes it): a writer between its checks and its COMMIT
        // finishes before the tree is frozen, and every later writer sees it frozen.
        return backend.transaction(treeId, async (connection) => {
          await statements.rotate(connection, treeId, frozenTime, next)
        })
      }),
    listTrees: () => run(async () => (await all(reader, sql.trees, [])).map(rows.toTree)),
    withTreeLock: (treeId, fn) => withTreeLock(log, treeId, fn),
    getLeafCount: (treeId) => run(() => leafCount(log, reader, String(treeId))),
    getLeafByIndex: (treeId, leafIndex) =>
      run(async () => {
        assertIndex('leafIndex', leafIndex)
        if (!isValidTreeId(treeId)) return undefined
        const row = await log.first(reader, sql.leaf, [treeId, leafIndex])
        return row ? rows.toLeaf(row) : undefined
      }),
    getLeafByHash: (treeId, leafHash) =>
      run(async () =>
        leafHash instanceof Uint8Array
          ? (await leavesByHash(log, reader, String(treeId), [leafHash]))[0]
          : undefined,
      ),
    getLeafHashes: (treeId, start, end) => run(() => leafHashes(log, treeId, start, end)),
    findLeavesBySearchKey: (key, limit) => run(() => leavesBySearchKey(log, key, limit)),
    getNodes: (treeId, keys) =>
      run(() => {
        assertNodeKeys(keys)
        return keys.length === 0 ? new Map() : readNodes(log, reader, String(treeId), keys)
      }),
    getLatestTreeHead: (treeId) => run(() => latestHead(log, reader, String(treeId))),
    getTreeHead: (treeId, treeSize) =>
      run(async () => {
        assertIndex('treeSize', treeSize)
        if (!isValidTreeId(treeId)) return undefined
        const row = await log.first(reader, sql.treeHead, [treeId, treeSize])
        return row ? rows.toHead(row) : undefined
      }),
  }
}

function chunks<T>(items: ReadonlyArray<T>, size: number): T[][] {
  const result: T[][] = []
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size))
  return result
}

const hex = (value: Uint8Array) => Buffer.from(value).toString('hex')
