// Row mapping and the shared statements of the SQL backends (pg and PGlite run the same SQL).
import type { LogLeaf, LogTreeHead } from '@certus-trust/storage'
import {
  assertNodeKeys,
  isValidTreeId,
  nodeKey,
  type PageCursor,
  sqlRowMappers,
} from '@certus-trust/storage/backend'
import type { Row, SqlSession } from './driver.js'

// Bound parameters per statement stay far below PostgreSQL's 65535 limit.
export const ROWS_PER_INSERT = 500

export const bytes = (value: unknown): Uint8Array => new Uint8Array(value as Uint8Array)
export const num = (value: unknown): number => Number(value)
export const date = (value: unknown): Date =>
  new Date((value instanceof Date ? value : new Date(String(value))).getTime())
export const hex = (value: Uint8Array) => Buffer.from(value).toString('hex')

export const ARTIFACT_COLUMNS = `id::text AS id, artifact_hash, artifact_type, subject, signature, certificate, public_key,
  bundle::text AS bundle, transparency_entry_uuid, log_index, integrated_time, log_id, predicates::text AS predicates,
  created_at, idempotency_key`
export const VERIFICATION_COLUMNS = `id::text AS id, artifact_hash, signature, valid, signer, issuer, verified_at, transparency_index,
  failure_code, failure_message`
export const LEAF_COLUMNS =
  'tree_id, leaf_index, leaf_hash, body, integrated_time, signed_entry_timestamp, search_keys'
export const TREE_COLUMNS =
  'tree_id, origin, public_key_pem, key_algorithm, log_id, start_index, active, created_at, frozen_at'

// Row → API object mappers: storage's shared ones, with how pg (and PGlite) return timestamps, booleans and jsonb.
export const { toArtifact, toVerification, toLeaf, toTree, toHead } = sqlRowMappers({
  date,
  boolean: (value) => value === true,
  stringArray: (value) => (value as unknown[]).map(String),
})

/** Builds `($1, $2, …), (…)` for `rows` rows of `columns` values starting at parameter `offset + 1`. */
export function valuesList(rows: number, columns: number, offset = 0, casts: string[] = []): string {
  const tuples: string[] = []
  for (let row = 0; row < rows; row++) {
    const cells: string[] = []
    for (let column = 0; column < columns; column++) {
      cells.push(`$${offset + row * columns + column + 1}${casts[column] ?? ''}`)
    }
    tuples.push(`(${cells.join(', ')})`)
  }
  return tuples.join(', ')
}

export function chunks<T>(items: ReadonlyArray<T>, size: number): T[][] {
  const result: T[][] = []
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size))
  return result
}

/** One newest-first page of a record table: equality/range filters plus the (time, id) keyset cursor. */
export interface PageQuery {
  table: string
  columns: string
  timeColumn: string
  /** `[sql with one ?, value]` pairs; undefined values are skipped. */
  filters: Array<[string, unknown]>
  cursor: PageCursor | undefined
  limit: number
}

/** Rows of one page plus one extra row, which tells `toPage` whether there is a next page. */
export async function selectPage(session: SqlSession, query: PageQuery): Promise<Row[]> {
  const params: unknown[] = []
  const where: string[] = []
  for (const [sql, value] of query.filters) {
    if (value === undefined) continue
    params.push(value)
    where.push(sql.replace('?', `$${params.length}`))
  }
  if (query.cursor) {
    params.push(new Date(query.cursor.time), query.cursor.id)
    where.push(`(${query.timeColumn}, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`)
  }
  params.push(query.limit + 1)
  return session.query(
    `SELECT ${query.columns} FROM ${query.table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY ${query.timeColumn} DESC, id DESC LIMIT $${params.length}`,
    params,
  )
}

// Reads shared by the storage and by a write transaction (which must use its own connection).
// A tree id no tree can have (not a decimal 63-bit integer) is answered without a query, as "absent":
// that keeps arbitrary strings (U+0000…) away from the server and matches the in-memory backend.
export async function leafCount(session: SqlSession, treeId: string): Promise<number> {
  if (!isValidTreeId(treeId)) return 0
  const rows = await session.query(
    'SELECT leaf_index FROM certus_log_leaves WHERE tree_id = $1 ORDER BY leaf_index DESC LIMIT 1',
    [treeId],
  )
  return rows.length === 0 ? 0 : num(rows[0]!.leaf_index) + 1
}

export async function latestHead(session: SqlSession, treeId: string): Promise<LogTreeHead | undefined> {
  if (!isValidTreeId(treeId)) return undefined
  const rows = await session.query(
    'SELECT tree_id, tree_size, root_hash, checkpoint, created_at FROM certus_log_tree_heads WHERE tree_id = $1 ORDER BY tree_size DESC LIMIT 1',
    [treeId],
  )
  return rows[0] ? toHead(rows[0]) : undefined
}

export async function readNodes(
  session: SqlSession,
  treeId: string,
  keys: ReadonlyArray<{ level: number; index: number }>,
): Promise<Map<string, Uint8Array>> {
  assertNodeKeys(keys)
  const result = new Map<string, Uint8Array>()
  if (!isValidTreeId(treeId)) return result
  for (const chunk of chunks(keys, ROWS_PER_INSERT)) {
    const params: unknown[] = [treeId]
    for (const key of chunk) params.push(key.level, key.index)
    const rows = await session.query(
      `SELECT level, node_index, hash FROM certus_log_nodes WHERE tree_id = $1 AND (level, node_index) IN (${valuesList(chunk.length, 2, 1, ['::smallint', '::bigint'])})`,
      params,
    )
    const found = new Map(rows.map((row) => [nodeKey(num(row.level), num(row.node_index)), bytes(row.hash)]))
    // Keep the caller's key order, as the in-memory backend does.
    for (const key of chunk) {
      const name = nodeKey(key.level, key.index)
      const hash = found.get(name)
      if (hash) result.set(name, hash)
    }
  }
  return result
}

export async function leavesByHash(
  session: SqlSession,
  treeId: string,
  hashes: ReadonlyArray<Uint8Array>,
): Promise<LogLeaf[]> {
  if (!isValidTreeId(treeId) || !Array.isArray(hashes)) return []
  const valid = hashes.filter((hash) => hash instanceof Uint8Array)
  const found = new Map<string, LogLeaf>()
  for (const chunk of chunks(valid, ROWS_PER_INSERT)) {
    const placeholders = chunk.map((_, i) => `$${i + 2}`).join(', ')
    const rows = await session.query(
      `SELECT ${LEAF_COLUMNS} FROM certus_log_leaves WHERE tree_id = $1 AND leaf_hash IN (${placeholders})`,
      [treeId, ...chunk],
    )
    for (const row of rows) {
      const leaf = toLeaf(row)
      found.set(hex(leaf.leafHash), leaf)
    }
  }
  const result: LogLeaf[] = []
  for (const hash of valid) {
    const leaf = found.get(hex(hash))
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
