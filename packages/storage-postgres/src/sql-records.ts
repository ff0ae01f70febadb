import type { RecordStorage, SignedArtifact } from '@certus-trust/storage'
import {
  createSqlRecords,
  normalizeNewSignedArtifact,
  normalizeNewVerificationRecord,
  recordErrors,
  replayIdempotent,
} from '@certus-trust/storage/backend'
import type { ConstraintErrors } from './database-errors.js'
import type { SqlDriver, SqlSession } from './driver.js'
import { GroupCommit } from './group-commit.js'
import { POSTGRES_DIALECT, rows } from './sql-rows.js'

/** Runs one public operation: closed check, then driver errors wrapped into StorageError. */
export type RunOperation = <T>(operation: () => T | Promise<T>, constraints?: ConstraintErrors) => Promise<T>

const ARTIFACT_INSERT = `INSERT INTO certus_signed_artifacts (id, artifact_hash, artifact_type, subject, signature, certificate,
   public_key, bundle, transparency_entry_uuid, entry_uuid_key, log_index, integrated_time, log_id, predicates, created_at,
   idempotency_key)
 VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::json, $9, $10, $11::bigint, $12::bigint, $13, $14::json, $15::timestamptz, $16)`

/**
 * Inserts a signed artifact. Unlike SQLite's writer, PostgreSQL's transactions run concurrently, so unique keys are
 * enforced by the constraints (mapped to errors by the caller): with an idempotency key, a concurrent twin waits for
 * the first insert and then does nothing, and we read the winner back in the same call.
 */
async function insertArtifact(session: SqlSession, record: SignedArtifact): Promise<SignedArtifact> {
  const inserted = await session.query(
    `${ARTIFACT_INSERT} ${record.idempotencyKey === undefined ? '' : 'ON CONFLICT (idempotency_key) DO NOTHING'}
     RETURNING ${POSTGRES_DIALECT.artifactColumns}`,
    rows.artifactValues(record),
  )
  if (inserted[0]) return rows.toArtifact(inserted[0])
  const [existing] = await session.query(
    `SELECT ${POSTGRES_DIALECT.artifactColumns} FROM certus_signed_artifacts WHERE idempotency_key = $1`,
    [record.idempotencyKey],
  )
  if (!existing) throw recordErrors.artifactNotFound()
  return replayIdempotent(rows.toArtifact(existing), record)
}

/** The signed-artifact and verification records of a SQL backend. */
export function createSqlRecordStorage(driver: SqlDriver, run: RunOperation): RecordStorage {
  // Concurrent signings share one transaction (one commit) for their records, each insert in its own savepoint.
  const artifacts = new GroupCommit<SignedArtifact>(driver)
  return createSqlRecords({
    dialect: POSTGRES_DIALECT,
    run,
    select: (sql, params) => driver.query(sql, params),
    saveSignedArtifact: (input) =>
      run(
        () => {
          const record = normalizeNewSignedArtifact(input)
          return artifacts.run((session) => insertArtifact(session, record))
        },
        {
          certus_signed_artifacts_pkey: recordErrors.duplicateArtifactId,
          certus_signed_artifacts_entry_uuid_key: recordErrors.duplicateEntryUuid,
          certus_signed_artifacts_log_index_key: recordErrors.duplicateLogIndex,
        },
      ),
    saveVerificationRecord: (input) =>
      run(
        async () => {
          const record = normalizeNewVerificationRecord(input)
          const inserted = await driver.query(
            `INSERT INTO certus_verification_records (id, artifact_hash, signature, valid, signer, issuer, verified_at,
               transparency_index, failure_code, failure_message)
             VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::timestamptz, $8::bigint, $9, $10)
             RETURNING ${POSTGRES_DIALECT.verificationColumns}`,
            rows.verificationValues(record),
          )
          return rows.toVerification(inserted[0]!)
        },
        { certus_verification_records_pkey: recordErrors.duplicateVerificationId },
      ),
  })
}
