import type { LogWriteTransaction } from '@certus-trust/storage'
import {
  bytesEqual,
  checkLeafBatch,
  dedupeNodes,
  isValidTreeId,
  logErrors,
  nodeKey,
  normalizeDate,
  normalizeLogLeaves,
  normalizeLogNodes,
  normalizeLogTree,
  normalizeLogTreeHead,
} from '@certus-trust/storage/backend'
import { toStorageError } from './database-errors.js'
import type { SqlSession } from './driver.js'
import {
  chunks,
  hex,
  LEAF_COLUMNS,
  latestHead,
  leafCount,
  leavesByHash,
  ROWS_PER_INSERT,
  readNodes,
  TREE_COLUMNS,
  toTree,
  valuesList,
} from './sql-rows.js'
import { rotateOn } from './sql-trees.js'

/** Appends leaves (and their search keys), refusing a leaf hash the tree already holds. */
async function appendLeavesOn(
  session: SqlSession,
  treeId: string,
  leaves: Parameters<LogWriteTransaction['appendLeaves']>[0],
): Promise<void> {
  const values = normalizeLogLeaves(treeId, leaves)
  checkLeafBatch(treeId, await leafCount(session, treeId), values)
  // Checked before writing so a rejection leaves the transaction usable (a failed INSERT would abort it).
  const stored = await leavesByHash(
    session,
    treeId,
    values.map((leaf) => leaf.leafHash),
  )
  if (stored.length > 0) {
    const storedHashes = new Set(stored.map((leaf) => hex(leaf.leafHash)))
    const first = values.find((leaf) => storedHashes.has(hex(leaf.leafHash)))!
    throw logErrors.duplicateLeaf(treeId, first.leafHash)
  }
  for (const chunk of chunks(values, ROWS_PER_INSERT)) {
    const params: unknown[] = []
    for (const leaf of chunk) {
      params.push(
        treeId,
        leaf.leafIndex,
        leaf.leafHash,
        leaf.body,
        leaf.integratedTime,
        leaf.signedEntryTimestamp,
        leaf.searchKeys,
      )
    }
    await session.query(
      `INSERT INTO certus_log_leaves (${LEAF_COLUMNS}) VALUES ${valuesList(chunk.length, 7, 0, ['', '::bigint', '::bytea', '::bytea', '::bigint', '::bytea', '::text[]'])}`,
      params,
    )
    const keys = chunk.flatMap((leaf) => leaf.searchKeys.map((key) => [key, treeId, leaf.leafIndex] as const))
    for (const keyChunk of chunks(keys, ROWS_PER_INSERT)) {
      await session.query(
        `INSERT INTO certus_log_search_keys (search_key, tree_id, leaf_index) VALUES ${valuesList(keyChunk.length, 3, 0, ['', '', '::bigint'])}`,
        keyChunk.flat(),
      )
    }
  }
}

/** Stores the nodes not stored yet; a stored node with another hash is an inconsistency. */
async function putNodesOn(
  session: SqlSession,
  treeId: string,
  id: string,
  nodes: Parameters<LogWriteTransaction['putNodes']>[1],
): Promise<void> {
  const values = dedupeNodes(treeId, normalizeLogNodes(treeId, id, nodes))
  const existing = await readNodes(session, treeId, values)
  for (const node of values) {
    const stored = existing.get(nodeKey(node.level, node.index))
    if (stored && !bytesEqual(stored, node.hash)) throw logErrors.nodeMismatch(treeId, node.level, node.index)
  }
  const missing = values.filter((node) => !existing.has(nodeKey(node.level, node.index)))
  for (const chunk of chunks(missing, ROWS_PER_INSERT)) {
    const params: unknown[] = []
    for (const node of chunk) params.push(treeId, node.level, node.index, node.hash)
    await session.query(
      `INSERT INTO certus_log_nodes (tree_id, level, node_index, hash) VALUES ${valuesList(chunk.length, 4, 0, ['', '::smallint', '::bigint', '::bytea'])}`,
      params,
    )
  }
}

async function putTreeHeadOn(
  session: SqlSession,
  treeId: string,
  head: Parameters<LogWriteTransaction['putTreeHead']>[0],
): Promise<void> {
  const value = normalizeLogTreeHead(treeId, head)
  const rows = await session.query(
    'SELECT 1 FROM certus_log_tree_heads WHERE tree_id = $1 AND tree_size = $2::bigint',
    [treeId, value.treeSize],
  )
  if (rows.length > 0) throw logErrors.duplicateTreeHead(treeId, value.treeSize)
  await session.query(
    `INSERT INTO certus_log_tree_heads (tree_id, tree_size, root_hash, checkpoint, created_at)
     VALUES ($1, $2::bigint, $3::bytea, $4, $5::timestamptz)`,
    [treeId, value.treeSize, value.rootHash, value.checkpoint, value.createdAt],
  )
}

/** The operations of one `withTreeLock` callback, on the session that holds the tree's lock. */
export function writeTransaction(
  session: SqlSession,
  treeId: string,
  isFinished: () => boolean,
  assertOpen: () => void,
): LogWriteTransaction {
  /** Every tx operation: finished/closed checks, then driver errors wrapped (the tx may still be used after our own rejections). */
  async function step<T>(operation: () => Promise<T>): Promise<T> {
    if (isFinished()) throw logErrors.transactionFinished()
    assertOpen()
    try {
      return await operation()
    } catch (error) {
      throw toStorageError(error)
    }
  }
  return {
    getLeafCount: (id) => step(() => leafCount(session, String(id))),
    getLatestTreeHead: (id) => step(() => latestHead(session, String(id))),
    getNodes: (id, keys) => step(() => readNodes(session, String(id), keys)),
    getLeavesByHash: (id, hashes) => step(() => leavesByHash(session, String(id), hashes)),
    appendLeaves: (leaves) => step(() => appendLeavesOn(session, treeId, leaves)),
    putNodes: (id, nodes) => step(() => putNodesOn(session, treeId, String(id), nodes)),
    putTreeHead: (head) => step(() => putTreeHeadOn(session, treeId, head)),
    getTree: (id) =>
      step(async () => {
        if (!isValidTreeId(String(id))) return undefined
        const rows = await session.query(`SELECT ${TREE_COLUMNS} FROM certus_log_trees WHERE tree_id = $1`, [
          String(id),
        ])
        return rows[0] ? toTree(rows[0]) : undefined
      }),
    rotateTree: (frozenAt, nextTree) =>
      step(async () => {
        const next = normalizeLogTree({
          ...nextTree,
          active: true,
          frozenAt: undefined,
        })
        await rotateOn(session, treeId, normalizeDate('frozenAt', frozenAt), next)
      }),
  }
}
