import type { RecordStorage, SignedArtifact, StorageError } from '@certus-trust/storage'
import {
  byHashQuery,
  entryUuidKey,
  normalizeEntryUuidArgument,
  normalizeNewSignedArtifact,
  normalizeNewVerificationRecord,
  normalizeRecordId,
  type PageCursor,
  recordErrors,
  replayIdempotent,
  resolveLogIndexArgument,
  resolveSignedArtifactQuery,
  resolveVerificationRecordQuery,
  toPage,
} from '@certus-trust/storage/backend'
import type { Params, Row, SqliteConnection } from './connection.js'
import { ARTIFACT_COLUMNS, toArtifact, toVerification, VERIFICATION_COLUMNS } from './rows.js'
import type { Writer } from './writer.js'

/** Runs one public operation: closed check, then SQLite errors wrapped into StorageError. */
export type Runner = <T>(operation: () => Promise<T> | T) => Promise<T>

/** What every operation of a storage shares. */
export interface OperationContext {
  run: Runner
  /** Wraps a SQLite error (StorageErrors pass through). */
  wrap: (error: unknown) => StorageError
  /** Throws `STORAGE_CLOSED` once the storage is closed. */
  assertOpen: () => void
}

/** One newest-first page of a record table: equality/range filters plus the (time, id) keyset cursor. */
interface PageQuery {
  table: string
  columns: string
  timeColumn: string
  /** `[sql with one ?, value]` pairs; undefined values are skipped. */
  filters: Array<[string, string | number | undefined]>
  cursor: PageCursor | undefined
  limit: number
}

/** Rows of one page plus one extra row, which tells `toPage` whether there is a next page. */
function selectPage(connection: SqliteConnection, query: PageQuery): Row[] {
  const params: Array<string | number> = []
  const where: string[] = []
  for (const [sql, value] of query.filters) {
    if (value === undefined) continue
    params.push(value)
    where.push(sql)
  }
  if (query.cursor) {
    params.push(query.cursor.time, query.cursor.id)
    where.push(`(${query.timeColumn}, id) < (?, ?)`)
  }
  params.push(query.limit + 1)
  return connection.all(
    `SELECT ${query.columns} FROM ${query.table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY ${query.timeColumn} DESC, id DESC LIMIT ?`,
    params,
  )
}

const time = (value: Date | undefined) => value?.getTime()

function findArtifact(connection: SqliteConnection, where: string, params: Params): SignedArtifact {
  const row = connection.get(
    `SELECT ${ARTIFACT_COLUMNS} FROM certus_signed_artifacts WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT 1`,
    params,
  )
  if (!row) throw recordErrors.artifactNotFound()
  return toArtifact(row)
}

/** Checks a new record against the unique keys in the order the in-memory backend does, then inserts it. */
function insertArtifact(connection: SqliteConnection, record: SignedArtifact): SignedArtifact {
  if (record.idempotencyKey !== undefined) {
    const existing = connection.get(
      `SELECT ${ARTIFACT_COLUMNS} FROM certus_signed_artifacts WHERE idempotency_key = ?`,
      [record.idempotencyKey],
    )
    if (existing) return replayIdempotent(toArtifact(existing), record)
  }
  if (connection.get('SELECT 1 FROM certus_signed_artifacts WHERE id = ?', [record.id]))
    throw recordErrors.duplicateArtifactId()
  const entryKey =
    record.transparencyEntryUuid === undefined ? null : entryUuidKey(record.transparencyEntryUuid)
  if (
    entryKey !== null &&
    connection.get('SELECT 1 FROM certus_signed_artifacts WHERE entry_uuid_key = ?', [entryKey])
  )
    throw recordErrors.duplicateEntryUuid()
  if (
    record.logIndex !== undefined &&
    record.logId !== undefined &&
    connection.get('SELECT 1 FROM certus_signed_artifacts WHERE log_id = ? AND log_index = ?', [
      record.logId,
      record.logIndex,
    ])
  )
    throw recordErrors.duplicateLogIndex()
  connection.run(
    `INSERT INTO certus_signed_artifacts (id, artifact_hash, artifact_type, subject, signature, certificate, public_key,
       bundle, transparency_entry_uuid, entry_uuid_key, log_index, integrated_time, log_id, predicates, created_at, idempotency_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      record.id,
      record.artifactHash,
      record.artifactType,
      record.subject,
      record.signature,
      record.certificate ?? null,
      record.publicKey ?? null,
      JSON.stringify(record.bundle),
      record.transparencyEntryUuid ?? null,
      entryKey,
      record.logIndex ?? null,
      record.integratedTime ?? null,
      record.logId ?? null,
      record.predicates === undefined ? null : JSON.stringify(record.predicates),
      record.createdAt.getTime(),
      record.idempotencyKey ?? null,
    ],
  )
  return findArtifact(connection, 'id = ?', [record.id])
}

/** The records half of the SQLite storage: reads on `reader`, every write one transaction on `writer`. */
export function createSqliteRecords(
  reader: SqliteConnection,
  writer: Writer,
  { run }: OperationContext,
): RecordStorage {
  const listArtifacts = (query: Parameters<RecordStorage['listSignedArtifacts']>[0]) =>
    run(() => {
      const resolved = resolveSignedArtifactQuery(query)
      const rows = selectPage(reader, {
        table: 'certus_signed_artifacts',
        columns: ARTIFACT_COLUMNS,
        timeColumn: 'created_at',
        filters: [
          ['artifact_hash = ?', resolved.artifactHash],
          ['artifact_type = ?', resolved.artifactType],
          ['subject = ?', resolved.subject],
          ['created_at >= ?', time(resolved.createdFrom)],
          ['created_at < ?', time(resolved.createdTo)],
        ],
        cursor: resolved.cursor,
        limit: resolved.limit,
      })
      return toPage(rows.map(toArtifact), resolved.limit, (record) => ({
        time: record.createdAt.getTime(),
        id: record.id,
      }))
    })

  return {
    saveSignedArtifact: (input) =>
      run(() => {
        const record = normalizeNewSignedArtifact(input)
        // Group commit: concurrent signings share one transaction (one fsync), each insert in its own savepoint.
        return writer.grouped((connection) => insertArtifact(connection, record))
      }),

    getSignedArtifact: (id) =>
      run(() => {
        const key = normalizeRecordId(id)
        if (key === undefined) throw recordErrors.artifactNotFound()
        return findArtifact(reader, 'id = ?', [key])
      }),

    getSignedArtifactByEntryUuid: (uuid) =>
      run(() => {
        const key = normalizeEntryUuidArgument(uuid)
        if (key === undefined) throw recordErrors.artifactNotFound()
        return findArtifact(reader, 'entry_uuid_key = ?', [key])
      }),

    getSignedArtifactByLogIndex: (logIndex, options) =>
      run(() => {
        const query = resolveLogIndexArgument(logIndex, options)
        return query.logId === undefined
          ? findArtifact(reader, 'log_index = ?', [query.logIndex])
          : findArtifact(reader, 'log_index = ? AND log_id = ?', [query.logIndex, query.logId])
      }),

    listSignedArtifactsByHash: (artifactHash, options) => listArtifacts(byHashQuery(artifactHash, options)),
    listSignedArtifacts: (query) => listArtifacts(query),

    saveVerificationRecord: (input) =>
      run(() => {
        const record = normalizeNewVerificationRecord(input)
        return writer.transaction((connection) => {
          if (connection.get('SELECT 1 FROM certus_verification_records WHERE id = ?', [record.id]))
            throw recordErrors.duplicateVerificationId()
          connection.run(
            `INSERT INTO certus_verification_records (id, artifact_hash, signature, valid, signer, issuer, verified_at,
               transparency_index, failure_code, failure_message)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            [
              record.id,
              record.artifactHash,
              record.signature ?? null,
              record.valid ? 1 : 0,
              record.signer ?? null,
              record.issuer ?? null,
              record.verifiedAt.getTime(),
              record.transparencyIndex ?? null,
              record.failureCode ?? null,
              record.failureMessage ?? null,
            ],
          )
          const row = connection.get(
            `SELECT ${VERIFICATION_COLUMNS} FROM certus_verification_records WHERE id = ?`,
            [record.id],
          )
          return toVerification(row!)
        })
      }),

    getVerificationRecord: (id) =>
      run(() => {
        const key = normalizeRecordId(id)
        if (key === undefined) throw recordErrors.verificationNotFound()
        const row = reader.get(
          `SELECT ${VERIFICATION_COLUMNS} FROM certus_verification_records WHERE id = ?`,
          [key],
        )
        if (!row) throw recordErrors.verificationNotFound()
        return toVerification(row)
      }),

    listVerificationRecords: (query) =>
      run(() => {
        const resolved = resolveVerificationRecordQuery(query)
        const rows = selectPage(reader, {
          table: 'certus_verification_records',
          columns: VERIFICATION_COLUMNS,
          timeColumn: 'verified_at',
          filters: [
            ['artifact_hash = ?', resolved.artifactHash],
            ['valid = ?', resolved.valid === undefined ? undefined : resolved.valid ? 1 : 0],
            ['verified_at >= ?', time(resolved.verifiedFrom)],
            ['verified_at < ?', time(resolved.verifiedTo)],
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
}
