import type { Storage } from '@certus-trust/storage'
import { resolveUnrecordedLeafQuery } from '@certus-trust/storage/backend'
import type { SqliteConnection } from './connection.js'
import type { OperationContext } from './records.js'
import type { Writer } from './writer.js'

/**
 * `findUnrecordedLeaves`: marked leaves (search index rows) whose hex leaf hash, the entry's UUID, matches no
 * record's `entry_uuid_key`. Both sides are indexed, so the anti-join costs one probe per marked leaf.
 */
export function createSqliteUnrecorded(
  reader: SqliteConnection,
  writer: Writer,
  context: OperationContext,
): Pick<Required<Storage>, 'findUnrecordedLeaves' | 'forgetRecordedMarks'> {
  return {
    forgetRecordedMarks: (query) =>
      context.run(() => {
        const resolved = resolveUnrecordedLeafQuery(query)
        return writer.transaction((connection) => {
          connection.run(
            `DELETE FROM certus_log_search_keys WHERE (search_key, tree_id, leaf_index) IN (
               SELECT s.search_key, s.tree_id, s.leaf_index FROM certus_log_search_keys s
               JOIN certus_log_leaves l ON l.tree_id = s.tree_id AND l.leaf_index = s.leaf_index
               WHERE s.search_key = ? AND l.integrated_time <= ?
                 AND EXISTS (
                   SELECT 1 FROM certus_signed_artifacts a WHERE a.entry_uuid_key = lower(hex(l.leaf_hash)))
               LIMIT ?)`,
            [resolved.searchKey, resolved.integratedBefore, resolved.limit],
          )
          return Number(connection.get('SELECT changes() AS n')?.n ?? 0)
        })
      }),

    findUnrecordedLeaves: (query) =>
      context.run(() => {
        const resolved = resolveUnrecordedLeafQuery(query)
        const rows = reader.all(
          `SELECT s.tree_id, s.leaf_index FROM certus_log_search_keys s
           JOIN certus_log_leaves l ON l.tree_id = s.tree_id AND l.leaf_index = s.leaf_index
           WHERE s.search_key = ? AND l.integrated_time <= ?
             AND (s.tree_id > ? OR (s.tree_id = ? AND s.leaf_index > ?))
             AND NOT EXISTS (
               SELECT 1 FROM certus_signed_artifacts a WHERE a.entry_uuid_key = lower(hex(l.leaf_hash)))
           ORDER BY s.tree_id, s.leaf_index LIMIT ?`,
          [
            resolved.searchKey,
            resolved.integratedBefore,
            resolved.after?.treeId ?? '',
            resolved.after?.treeId ?? '',
            resolved.after?.leafIndex ?? -1,
            resolved.limit,
          ],
        )
        return rows.map((row) => ({ treeId: String(row.tree_id), leafIndex: Number(row.leaf_index) }))
      }),
  }
}
