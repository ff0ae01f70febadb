import {
  byHashQuery,
  normalizeEntryUuidArgument,
  normalizeRecordId,
  type PageCursor,
  recordErrors,
  resolveLogIndexArgument,
  resolveSignedArtifactQuery,
  resolveVerificationRecordQuery,
  toPage,
} from './record-validation.js'
import type { Page, RecordStorage, SignedArtifactQuery, VerificationRecordQuery } from './records.js'
import { type SqlDialect, type SqlRow, sqlRowMappers } from './sql-rows.js'

// SQLite's driver answers synchronously, pg's asynchronously: the shared steps await either.
type MaybePromise<T> = T | Promise<T>

/** What {@link createSqlRecords} needs from a SQL backend. */
export interface SqlRecordsBackend {
  dialect: SqlDialect
  /** Runs one public operation: the closed check, then driver errors wrapped into StorageError. */
  run<T>(operation: () => MaybePromise<T>): Promise<T>
  /** The rows of a read statement, outside any write (a pool, SQLite's query-only reader). */
  select(sql: string, params: unknown[]): MaybePromise<SqlRow[]>
  /**
   * The writes stay the backend's: they differ in how unique keys are enforced (PostgreSQL by its constraints
   * and `ON CONFLICT` under concurrent transactions; SQLite by checking first on its single writer).
   */
  saveSignedArtifact: RecordStorage['saveSignedArtifact']
  saveVerificationRecord: RecordStorage['saveVerificationRecord']
}

/** One newest-first page of a record table: equality/range filters plus the (time, id) keyset cursor. */
interface PageQuery<T> {
  table: string
  columns: string
  timeColumn: string
  /** `[column and operator, bound value]` pairs; undefined values are skipped. */
  filters: Array<[string, unknown]>
  cursor: PageCursor | undefined
  limit: number
  toItem(row: SqlRow): T
  timeOf(item: T): Date
}

/** Selects one page plus one extra row, which tells `toPage` whether there is a next page. */
async function selectPage<T extends { id: string }>(
  backend: SqlRecordsBackend,
  query: PageQuery<T>,
): Promise<Page<T>> {
  const { dialect } = backend
  const params: unknown[] = []
  const where: string[] = []
  for (const [condition, value] of query.filters) {
    if (value === undefined) continue
    params.push(value)
    where.push(`${condition} ${dialect.param(params.length)}`)
  }
  if (query.cursor) {
    params.push(dialect.bindDate(new Date(query.cursor.time)), query.cursor.id)
    where.push(
      `(${query.timeColumn}, id) < (${dialect.param(params.length - 1, 'timestamptz')}, ${dialect.param(params.length, 'uuid')})`,
    )
  }
  params.push(query.limit + 1)
  const rows = await backend.select(
    `SELECT ${query.columns} FROM ${query.table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY ${query.timeColumn} DESC, id DESC LIMIT ${dialect.param(params.length)}`,
    params,
  )
  return toPage(rows.map(query.toItem), query.limit, (item) => ({
    time: query.timeOf(item).getTime(),
    id: item.id,
  }))
}

/**
 * The records half of a SQL backend: lookups, pages and cursors in shared code, the same on every SQL backend; the
 * backend supplies its dialect, its read connection and its two writes.
 */
export function createSqlRecords(backend: SqlRecordsBackend): RecordStorage {
  const { dialect, run } = backend
  const rows = sqlRowMappers(dialect)
  const p = dialect.param
  const bindDate = (value: Date | undefined) => (value === undefined ? undefined : dialect.bindDate(value))

  /** The newest signed-artifact record matching `where`, or `STORAGE_NOT_FOUND`. */
  async function findArtifact(where: string, params: unknown[]) {
    const [row] = await backend.select(
      `SELECT ${dialect.artifactColumns} FROM certus_signed_artifacts WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT 1`,
      params,
    )
    if (!row) throw recordErrors.artifactNotFound()
    return rows.toArtifact(row)
  }

  const listArtifacts = (query: SignedArtifactQuery | undefined) => {
    const resolved = resolveSignedArtifactQuery(query)
    return selectPage(backend, {
      table: 'certus_signed_artifacts',
      columns: dialect.artifactColumns,
      timeColumn: 'created_at',
      filters: [
        ['artifact_hash =', resolved.artifactHash],
        ['artifact_type =', resolved.artifactType],
        ['subject =', resolved.subject],
        ['created_at >=', bindDate(resolved.createdFrom)],
        ['created_at <', bindDate(resolved.createdTo)],
      ],
      cursor: resolved.cursor,
      limit: resolved.limit,
      toItem: rows.toArtifact,
      timeOf: (record) => record.createdAt,
    })
  }

  const listVerifications = (query: VerificationRecordQuery | undefined) => {
    const resolved = resolveVerificationRecordQuery(query)
    return selectPage(backend, {
      table: 'certus_verification_records',
      columns: dialect.verificationColumns,
      timeColumn: 'verified_at',
      filters: [
        ['artifact_hash =', resolved.artifactHash],
        ['valid =', resolved.valid === undefined ? undefined : dialect.bindBoolean(resolved.valid)],
        ['verified_at >=', bindDate(resolved.verifiedFrom)],
        ['verified_at <', bindDate(resolved.verifiedTo)],
      ],
      cursor: resolved.cursor,
      limit: resolved.limit,
      toItem: rows.toVerification,
      timeOf: (record) => record.verifiedAt,
    })
  }

  return {
    saveSignedArtifact: backend.saveSignedArtifact,
    getSignedArtifact: (id) =>
      run(() => {
        const key = normalizeRecordId(id)
        if (key === undefined) throw recordErrors.artifactNotFound()
        return findArtifact(`id = ${p(1, 'uuid')}`, [key])
      }),
    getSignedArtifactByEntryUuid: (uuid) =>
      run(() => {
        const key = normalizeEntryUuidArgument(uuid)
        if (key === undefined) throw recordErrors.artifactNotFound()
        return findArtifact(`entry_uuid_key = ${p(1)}`, [key])
      }),
    getSignedArtifactByLogIndex: (logIndex, options) =>
      run(() => {
        const query = resolveLogIndexArgument(logIndex, options)
        return query.logId === undefined
          ? findArtifact(`log_index = ${p(1, 'bigint')}`, [query.logIndex])
          : findArtifact(`log_index = ${p(1, 'bigint')} AND log_id = ${p(2)}`, [query.logIndex, query.logId])
      }),
    listSignedArtifactsByHash: (artifactHash, options) => {
      const query = byHashQuery(artifactHash, options)
      return run(() => listArtifacts(query))
    },
    listSignedArtifacts: (query) => run(() => listArtifacts(query)),

    saveVerificationRecord: backend.saveVerificationRecord,
    getVerificationRecord: (id) =>
      run(async () => {
        const key = normalizeRecordId(id)
        if (key === undefined) throw recordErrors.verificationNotFound()
        const [row] = await backend.select(
          `SELECT ${dialect.verificationColumns} FROM certus_verification_records WHERE id = ${p(1, 'uuid')}`,
          [key],
        )
        if (!row) throw recordErrors.verificationNotFound()
        return rows.toVerification(row)
      }),
    listVerificationRecords: (query) => run(() => listVerifications(query)),
  }
}
