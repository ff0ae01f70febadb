import type {
  LogLeaf,
  LogStorage,
  LogTree,
  LogTreeHead,
  LogWriteTransaction,
  RecordStorage,
  SignedArtifact,
  StorageError,
  VerificationRecord,
} from '@certus-trust/storage'
import {
  assertIndex,
  assertNodeKeys,
  buildSignedArtifact,
  buildVerificationRecord,
  byHashQuery,
  bytesEqual,
  checkLeafBatch,
  dedupeNodes,
  entryUuidKey,
  isStorableText,
  isValidTreeId,
  KeyedMutex,
  logErrors,
  nodeKey,
  normalizeDate,
  normalizeEntryUuidArgument,
  normalizeLogLeaves,
  normalizeLogNodes,
  normalizeLogTree,
  normalizeLogTreeHead,
  normalizeNewSignedArtifact,
  normalizeNewVerificationRecord,
  normalizeRecordId,
  type PageCursor,
  recordErrors,
  replayIdempotent,
  resolveLogIndexArgument,
  resolveSearchLimit,
  resolveSignedArtifactQuery,
  resolveVerificationRecordQuery,
  toPage,
} from '@certus-trust/storage/backend'
import { type ConstraintErrors, toStorageError } from './database-errors.js'
import { ADVISORY_LOCK_NAMESPACE, type Row, type SqlDriver, type SqlSession } from './driver.js'

// Bound parameters per statement stay far below PostgreSQL's 65535 limit.
const ROWS_PER_INSERT = 500

const bytes = (value: unknown): Uint8Array => new Uint8Array(value as Uint8Array)
const num = (value: unknown): number => Number(value)
const date = (value: unknown): Date =>
  new Date((value instanceof Date ? value : new Date(String(value))).getTime())
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex')
const optional = <T>(value: unknown, map: (value: unknown) => T): T | undefined =>
  value === null || value === undefined ? undefined : map(value)

const ARTIFACT_COLUMNS = `id::text AS id, artifact_hash, artifact_type, subject, signature, certificate, public_key,
  bundle::text AS bundle, transparency_entry_uuid, log_index, integrated_time, log_id, predicates::text AS predicates,
  created_at, idempotency_key`
const VERIFICATION_COLUMNS = `id::text AS id, artifact_hash, signature, valid, signer, issuer, verified_at, transparency_index,
  failure_code, failure_message`
const LEAF_COLUMNS =
  'tree_id, leaf_index, leaf_hash, body, integrated_time, signed_entry_timestamp, search_keys'
const TREE_COLUMNS =
  'tree_id, origin, public_key_pem, key_algorithm, log_id, start_index, active, created_at, frozen_at'

function toArtifact(row: Row): SignedArtifact {
  return buildSignedArtifact({
    id: String(row.id),
    artifactHash: String(row.artifact_hash),
    artifactType: String(row.artifact_type),
    subject: String(row.subject),
    signature: String(row.signature),
    certificate: optional(row.certificate, String),
    publicKey: optional(row.public_key, String),
    bundle: JSON.parse(String(row.bundle)),
    transparencyEntryUuid: optional(row.transparency_entry_uuid, String),
    logIndex: optional(row.log_index, num),
    integratedTime: optional(row.integrated_time, num),
    logId: optional(row.log_id, String),
    predicates: optional(row.predicates, (value) => JSON.parse(String(value))),
    createdAt: date(row.created_at),
    idempotencyKey: optional(row.idempotency_key, String),
  } as SignedArtifact)
}

function toVerification(row: Row): VerificationRecord {
  return buildVerificationRecord({
    id: String(row.id),
    artifactHash: String(row.artifact_hash),
    signature: optional(row.signature, String),
    valid: row.valid === true,
    signer: optional(row.signer, String),
    issuer: optional(row.issuer, String),
    verifiedAt: date(row.verified_at),
    transparencyIndex: optional(row.transparency_index, num),
    failureCode: optional(row.failure_code, String),
    failureMessage: optional(row.failure_message, String),
  } as VerificationRecord)
}

function toLeaf(row: Row): LogLeaf {
  return {
    treeId: String(row.tree_id),
    leafIndex: num(row.leaf_index),
    leafHash: bytes(row.leaf_hash),
    body: bytes(row.body),
    integratedTime: num(row.integrated_time),
    signedEntryTimestamp: bytes(row.signed_entry_timestamp),
    searchKeys: (row.search_keys as unknown[]).map(String),
  }
}

function toTree(row: Row): LogTree {
  const tree: LogTree = {
    treeId: String(row.tree_id),
    origin: String(row.origin),
    publicKeyPem: String(row.public_key_pem),
    keyAlgorithm: String(row.key_algorithm),
    logId: String(row.log_id),
    startIndex: num(row.start_index),
    active: row.active === true,
    createdAt: date(row.created_at),
  }
  if (row.frozen_at !== null && row.frozen_at !== undefined) tree.frozenAt = date(row.frozen_at)
  return tree
}

function toHead(row: Row): LogTreeHead {
  return {
    treeId: String(row.tree_id),
    treeSize: num(row.tree_size),
    rootHash: bytes(row.root_hash),
    checkpoint: String(row.checkpoint),
    createdAt: date(row.created_at),
  }
}

/** Builds `($1, $2, …), (…)` for `rows` rows of `columns` values starting at parameter `offset + 1`. */
function valuesList(rows: number, columns: number, offset = 0, casts: string[] = []): string {
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

function chunks<T>(items: ReadonlyArray<T>, size: number): T[][] {
  const result: T[][] = []
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size))
  return result
}

/** One newest-first page of a record table: equality/range filters plus the (time, id) keyset cursor. */
interface PageQuery {
  table: string
  columns: string
  timeColumn: string
  /** `[sql with one ?, value]` pairs; undefined values are skipped. */
  filters: Array<[string, unknown]>
  cursor: PageCursor | undefined
  limit: number
}

/** Rows of one page plus one extra row, which tells `toPage` whether there is a next page. */
async function selectPage(session: SqlSession, query: PageQuery): Promise<Row[]> {
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
async function leafCount(session: SqlSession, treeId: string): Promise<number> {
  if (!isValidTreeId(treeId)) return 0
  const rows = await session.query(
    'SELECT leaf_index FROM certus_log_leaves WHERE tree_id = $1 ORDER BY leaf_index DESC LIMIT 1',
    [treeId],
  )
  return rows.length === 0 ? 0 : num(rows[0]!.leaf_index) + 1
}

async function latestHead(session: SqlSession, treeId: string): Promise<LogTreeHead | undefined> {
  if (!isValidTreeId(treeId)) return undefined
  const rows = await session.query(
    'SELECT tree_id, tree_size, root_hash, checkpoint, created_at FROM certus_log_tree_heads WHERE tree_id = $1 ORDER BY tree_size DESC LIMIT 1',
    [treeId],
  )
  return rows[0] ? toHead(rows[0]) : undefined
}

async function readNodes(
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

async function leavesByHash(
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

/** Options of {@link createSqlStorage}. */
export interface SqlStorageParts {
  records: RecordStorage
  log: LogStorage
}

/**
 * The records and log halves of a SQL-backed Storage, running the same statements on `pg` and PGlite.
 * `assertOpen` throws `STORAGE_CLOSED` once the owning storage is closed.
 */
export function createSqlStorage(driver: SqlDriver, assertOpen: () => void): SqlStorageParts {
  const treeMutex = new KeyedMutex()
  /** Runs one public operation: closed check, then driver errors wrapped into StorageError. */
  async function run<T>(operation: () => Promise<T>, constraints?: ConstraintErrors): Promise<T> {
    assertOpen()
    try {
      return await operation()
    } catch (error) {
      throw toStorageError(error, constraints)
    }
  }

  async function listArtifacts(query: Parameters<RecordStorage['listSignedArtifacts']>[0]) {
    return run(async () => {
      const resolved = resolveSignedArtifactQuery(query)
      const rows = await selectPage(driver, {
        table: 'certus_signed_artifacts',
        columns: ARTIFACT_COLUMNS,
        timeColumn: 'created_at',
        filters: [
          ['artifact_hash = ?', resolved.artifactHash],
          ['artifact_type = ?', resolved.artifactType],
          ['subject = ?', resolved.subject],
          ['created_at >= ?', resolved.createdFrom],
          ['created_at < ?', resolved.createdTo],
        ],
        cursor: resolved.cursor,
        limit: resolved.limit,
      })
      return toPage(rows.map(toArtifact), resolved.limit, (record) => ({
        time: record.createdAt.getTime(),
        id: record.id,
      }))
    })
  }

  async function findArtifact(where: string, params: unknown[]): Promise<SignedArtifact> {
    const rows = await driver.query(
      `SELECT ${ARTIFACT_COLUMNS} FROM certus_signed_artifacts WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT 1`,
      params,
    )
    if (!rows[0]) throw recordErrors.artifactNotFound()
    return toArtifact(rows[0])
  }

  const records: RecordStorage = {
    saveSignedArtifact: (input) =>
      run(
        async () => {
          const record = normalizeNewSignedArtifact(input)
          const params = [
            record.id,
            record.artifactHash,
            record.artifactType,
            record.subject,
            record.signature,
            record.certificate ?? null,
            record.publicKey ?? null,
            JSON.stringify(record.bundle),
            record.transparencyEntryUuid ?? null,
            record.transparencyEntryUuid === undefined ? null : entryUuidKey(record.transparencyEntryUuid),
            record.logIndex ?? null,
            record.integratedTime ?? null,
            record.logId ?? null,
            record.predicates === undefined ? null : JSON.stringify(record.predicates),
            record.createdAt,
            record.idempotencyKey ?? null,
          ]
          // With an idempotency key, a concurrent twin waits for the first insert and then does nothing;
          // we read the winner back in the same call.
          const rows = await driver.query(
            `INSERT INTO certus_signed_artifacts (id, artifact_hash, artifact_type, subject, signature, certificate, public_key,
               bundle, transparency_entry_uuid, entry_uuid_key, log_index, integrated_time, log_id, predicates, created_at, idempotency_key)
             VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::json, $9, $10, $11::bigint, $12::bigint, $13, $14::json, $15::timestamptz, $16)
             ${record.idempotencyKey === undefined ? '' : 'ON CONFLICT (idempotency_key) DO NOTHING'}
             RETURNING ${ARTIFACT_COLUMNS}`,
            params,
          )
          if (rows[0]) return toArtifact(rows[0])
          const existing = await findArtifact('idempotency_key = $1', [record.idempotencyKey])
          return replayIdempotent(existing, record)
        },
        {
          certus_signed_artifacts_pkey: recordErrors.duplicateArtifactId,
          certus_signed_artifacts_entry_uuid_key: recordErrors.duplicateEntryUuid,
          certus_signed_artifacts_log_index_key: recordErrors.duplicateLogIndex,
        },
      ),

    getSignedArtifact: (id) =>
      run(async () => {
        const key = normalizeRecordId(id)
        if (key === undefined) throw recordErrors.artifactNotFound()
        return findArtifact('id = $1::uuid', [key])
      }),

    getSignedArtifactByEntryUuid: (uuid) =>
      run(async () => {
        const key = normalizeEntryUuidArgument(uuid)
        if (key === undefined) throw recordErrors.artifactNotFound()
        return findArtifact('entry_uuid_key = $1', [key])
      }),

    getSignedArtifactByLogIndex: (logIndex, options) =>
      run(async () => {
        const query = resolveLogIndexArgument(logIndex, options)
        return query.logId === undefined
          ? findArtifact('log_index = $1::bigint', [query.logIndex])
          : findArtifact('log_index = $1::bigint AND log_id = $2', [query.logIndex, query.logId])
      }),

    listSignedArtifactsByHash: (artifactHash, options) => listArtifacts(byHashQuery(artifactHash, options)),
    listSignedArtifacts: (query) => listArtifacts(query),

    saveVerificationRecord: (input) =>
      run(
        async () => {
          const record = normalizeNewVerificationRecord(input)
          const rows = await driver.query(
            `INSERT INTO certus_verification_records (id, artifact_hash, signature, valid, signer, issuer, verified_at,
               transparency_index, failure_code, failure_message)
             VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::timestamptz, $8::bigint, $9, $10)
             RETURNING ${VERIFICATION_COLUMNS}`,
            [
              record.id,
              record.artifactHash,
              record.signature ?? null,
              record.valid,
              record.signer ?? null,
              record.issuer ?? null,
              record.verifiedAt,
              record.transparencyIndex ?? null,
              record.failureCode ?? null,
              record.failureMessage ?? null,
            ],
          )
          return toVerification(rows[0]!)
        },
        { certus_verification_records_pkey: recordErrors.duplicateVerificationId },
      ),

    getVerificationRecord: (id) =>
      run(async () => {
        const key = normalizeRecordId(id)
        if (key === undefined) throw recordErrors.verificationNotFound()
        const rows = await driver.query(
          `SELECT ${VERIFICATION_COLUMNS} FROM certus_verification_records WHERE id = $1::uuid`,
          [key],
        )
        if (!rows[0]) throw recordErrors.verificationNotFound()
        return toVerification(rows[0])
      }),

    listVerificationRecords: (query) =>
      run(async () => {
        const resolved = resolveVerificationRecordQuery(query)
        const rows = await selectPage(driver, {
          table: 'certus_verification_records',
          columns: VERIFICATION_COLUMNS,
          timeColumn: 'verified_at',
          filters: [
            ['artifact_hash = ?', resolved.artifactHash],
            ['valid = ?', resolved.valid],
            ['verified_at >= ?', resolved.verifiedFrom],
            ['verified_at < ?', resolved.verifiedTo],
          ],
          cursor: resolved.cursor,
          limit: resolved.limit,
        })
        return toPage(rows.map(toVerification), resolved.limit, (record) => ({
          time: record.verifiedAt.getTime(),
          id: record.id,
        }))
      }),
  }

  const insertTree = (session: SqlSession, tree: LogTree) =>
    session.query(
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

  const lockTree = (session: SqlSession, treeId: string) =>
    // Transaction-scoped: released by COMMIT/ROLLBACK, also when the connection dies.
    session.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ADVISORY_LOCK_NAMESPACE + 1, treeId])

  /** The statements of a rotation, on a session that holds `treeId`'s write lock. */
  async function rotateOn(session: SqlSession, treeId: string, frozenTime: Date, next: LogTree) {
    const current = await session.query(
      'SELECT frozen_at FROM certus_log_trees WHERE tree_id = $1 FOR UPDATE',
      [treeId],
    )
    if (!current[0]) throw logErrors.treeNotFound(treeId)
    if (current[0].frozen_at !== null && current[0].frozen_at !== undefined)
      throw logErrors.treeFrozen(treeId)
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

  function writeTransaction(
    session: SqlSession,
    treeId: string,
    isFinished: () => boolean,
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
      appendLeaves: (leaves) =>
        step(async () => {
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
            const keys = chunk.flatMap((leaf) =>
              leaf.searchKeys.map((key) => [key, treeId, leaf.leafIndex] as const),
            )
            for (const keyChunk of chunks(keys, ROWS_PER_INSERT)) {
              await session.query(
                `INSERT INTO certus_log_search_keys (search_key, tree_id, leaf_index) VALUES ${valuesList(keyChunk.length, 3, 0, ['', '', '::bigint'])}`,
                keyChunk.flat(),
              )
            }
          }
        }),
      putNodes: (id, nodes) =>
        step(async () => {
          const values = dedupeNodes(treeId, normalizeLogNodes(treeId, String(id), nodes))
          const existing = await readNodes(session, treeId, values)
          for (const node of values) {
            const stored = existing.get(nodeKey(node.level, node.index))
            if (stored && !bytesEqual(stored, node.hash))
              throw logErrors.nodeMismatch(treeId, node.level, node.index)
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
        }),
      putTreeHead: (head) =>
        step(async () => {
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
        }),
      getTree: (id) =>
        step(async () => {
          if (!isValidTreeId(String(id))) return undefined
          const rows = await session.query(
            `SELECT ${TREE_COLUMNS} FROM certus_log_trees WHERE tree_id = $1`,
            [String(id)],
          )
          return rows[0] ? toTree(rows[0]) : undefined
        }),
      rotateTree: (frozenAt, nextTree) =>
        step(async () => {
          const next = normalizeLogTree({ ...nextTree, active: true, frozenAt: undefined })
          await rotateOn(session, treeId, normalizeDate('frozenAt', frozenAt), next)
        }),
    }
  }

  const log: LogStorage = {
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
          const next = normalizeLogTree({ ...nextTree, active: true, frozenAt: undefined })
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

    async withTreeLock(treeId, fn) {
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
              const result = await fn(writeTransaction(session, treeId, () => finished))
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
    },

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

    getLeafHashes: (treeId, start, end) =>
      run(async () => {
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
      }),

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
        return rows.map((row) => ({ treeId: String(row.tree_id), leafIndex: num(row.leaf_index) }))
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

  return { records, log }
}

/** Re-exported for the factories: the closed error every backend uses. */
export const closedError = (): StorageError => logErrors.closed()
