import type { Storage } from '@certus-trust/storage'
import { resolveUnrecordedLeafQuery } from '@certus-trust/storage/backend'
import type { SqlDriver } from './driver.js'
import type { RunOperation } from './sql-records.js'

/**
 * `findUnrecordedLeaves`: marked leaves (search index rows) whose hex leaf hash, the entry's UUID, matches no
 * record's `entry_uuid_key`. Both sides are indexed, so the anti-join costs one probe per marked leaf.
 */
export function createSqlUnrecorded(
  driver: SqlDriver,
  run: RunOperation,
): Pick<Required<Storage>, 'findUnrecordedLeaves' | 'forgetRecordedMarks'> {
  return {
    forgetRecordedMarks: (query) =>
      run(async () => {
        const resolved = resolveUnrecordedLeafQuery(query)
        const rows = await driver.query(
          `DELETE FROM certus_log_search_keys WHERE (search_key, tree_id, leaf_index) IN (
             SELECT s.search_key, s.tree_id, s.leaf_index FROM certus_log_search_keys s
             JOIN certus_log_leaves l ON l.tree_id = s.tree_id AND l.leaf_index = s.leaf_index
             WHERE s.search_key = $1 AND l.integrated_time <= $2
               AND EXISTS (
                 SELECT 1 FROM certus_signed_artifacts a WHERE a.entry_uuid_key = encode(l.leaf_hash, 'hex'))
             LIMIT $3)
           RETURNING 1`,
          [resolved.searchKey, resolved.integratedBefore, resolved.limit],
        )
        return rows.length
      }),

    findUnrecordedLeaves: (query) =>
      run(async () => {
        const resolved = resolveUnrecordedLeafQuery(query)
        // Tree IDs compare as bytes (COLLATE "C"), as the other backends compare them.
        const rows = await driver.query(
          `SELECT s.tree_id, s.leaf_index FROM certus_log_search_keys s
           JOIN certus_log_leaves l ON l.tree_id = s.tree_id AND l.leaf_index = s.leaf_index
           WHERE s.search_key = $1 AND l.integrated_time <= $2
             AND (s.tree_id COLLATE "C" > $3 OR (s.tree_id = $3 AND s.leaf_index > $4))
             AND NOT EXISTS (
               SELECT 1 FROM certus_signed_artifacts a WHERE a.entry_uuid_key = encode(l.leaf_hash, 'hex'))
           ORDER BY s.tree_id COLLATE "C", s.leaf_index LIMIT $5`,
          [
            resolved.searchKey,
            resolved.integratedBefore,
            resolved.after?.treeId ?? '',
            resolved.after?.leafIndex ?? -1,
            resolved.limit,
          ],
        )
        return rows.map((row) => ({ treeId: String(row.tree_id), leafIndex: Number(row.leaf_index) }))
      }),
  }
}
