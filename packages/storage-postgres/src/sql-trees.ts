import type { LogTree } from '@certus-trust/storage'
import { logErrors } from '@certus-trust/storage/backend'
import { ADVISORY_LOCK_NAMESPACE, type SqlSession } from './driver.js'

/** Stores a tree record. */
export function insertTree(session: SqlSession, tree: LogTree) {
  return session.query(
    `INSERT INTO certus_log_trees (tree_id, origin, public_key_pem, key_algorithm, log_id, start_index, active, created_at, frozen_at)
     VALUES ($1, $2, $3, $4, $5, $6::bigint, $7, $8::timestamptz, $9::timestamptz)`,
    [
      tree.treeId,
      tree.origin,
      tree.publicKeyPem,
      tree.keyAlgorithm,
      tree.logId,
      tree.startIndex,
      tree.active,
      tree.createdAt,
      tree.frozenAt ?? null,
    ],
  )
}

/** Takes a tree's write lock for the session's transaction. */
export function lockTree(session: SqlSession, treeId: string) {
  // Transaction-scoped: released by COMMIT/ROLLBACK, also when the connection dies.
  return session.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
    ADVISORY_LOCK_NAMESPACE + 1,
    treeId,
  ])
}

/** The statements of a rotation, on a session that holds `treeId`'s write lock. */
export async function rotateOn(session: SqlSession, treeId: string, frozenTime: Date, next: LogTree) {
  const current = await session.query(
    'SELECT frozen_at FROM certus_log_trees WHERE tree_id = $1 FOR UPDATE',
    [treeId],
  )
  if (!current[0]) throw logErrors.treeNotFound(treeId)
  if (current[0].frozen_at !== null && current[0].frozen_at !== undefined) throw logErrors.treeFrozen(treeId)
  const exists = await session.query('SELECT 1 FROM certus_log_trees WHERE tree_id = $1', [next.treeId])
  if (exists.length > 0) throw logErrors.treeExists(next.treeId)
  const otherActive = await session.query('SELECT 1 FROM certus_log_trees WHERE active AND tree_id <> $1', [
    treeId,
  ])
  if (otherActive.length > 0) throw logErrors.activeTreeExists()
  await session.query(
    'UPDATE certus_log_trees SET active = false, frozen_at = $2::timestamptz WHERE tree_id = $1',
    [treeId, frozenTime],
  )
  await insertTree(session, next)
}
