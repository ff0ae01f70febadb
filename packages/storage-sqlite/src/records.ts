import type { RecordStorage, SignedArtifact, StorageError } from '@certus-trust/storage'
import {
  createSqlRecords,
  entryUuidKey,
  normalizeNewSignedArtifact,
  normalizeNewVerificationRecord,
  recordErrors,
  replayIdempotent,
} from '@certus-trust/storage/backend'
import type { Params, SqliteConnection } from './connection.js'
import { rows, SQLITE_DIALECT } from './rows.js'
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

const { artifactColumns, verificationColumns } = SQLITE_DIALECT

/**
 * Checks a new record against the unique keys in the order the in-memory backend does, then inserts it. SQLite has
 * one writer, so checking first is race-free, and it runs synchronously inside the group commit's savepoint.
 */
function insertArtifact(connection: SqliteConnection, record: SignedArtifact): SignedArtifact {
  if (record.idempotencyKey !== undefined) {
    const existing = connection.get(
      `SELECT ${artifactColumns} FROM certus_signed_artifacts WHERE idempotency_key = ?`,
      [record.idempotencyKey],
    )
    if (existing) return replayIdempotent(rows.toArtifact(existing), record)
  }
  if (connection.get('SELECT 1 FROM certus_signed_artifacts WHERE id = ?', [record.id]))
    throw recordErrors.duplicateArtifactId()
  if (
    record.transparencyEntryUuid !== undefined &&
    connection.get('SELECT 1 FROM certus_signed_artifacts WHERE entry_uuid_key = ?', [
      entryUuidKey(record.transparencyEntryUuid),
    ])
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
    rows.artifactValues(record) as Params,
  )
  return rows.toArtifact(
    connection.get(`SELECT ${artifactColumns} FROM certus_signed_artifacts WHERE id = ?`, [record.id])!,
  )
}

/** The records half of the SQLite storage: reads on `reader`, every write one transaction on `writer`. */
export function createSqliteRecords(
  reader: SqliteConnection,
  writer: Writer,
  { run }: OperationContext,
): RecordStorage {
  return createSqlRecords({
    dialect: SQLITE_DIALECT,
    run,
    select: (sql, params) => reader.all(sql, params as Params),
    saveSignedArtifact: (input) =>
      run(() => {
        const record = normalizeNewSignedArtifact(input)
        // Group commit: concurrent signings share one transaction (one fsync), each insert in its own savepoint.
        return writer.grouped((connection) => insertArtifact(connection, record))
      }),
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
            rows.verificationValues(record) as Params,
          )
          const row = connection.get(
            `SELECT ${verificationColumns} FROM certus_verification_records WHERE id = ?`,
            [record.id],
          )
          return rows.toVerification(row!)
        })
      }),
  })
}
