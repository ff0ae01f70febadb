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
import { GroupCommit, type GroupOutcome } from './group-commit.js'
import { POSTGRES_DIALECT, rows } from './sql-rows.js'

/** Runs one public operation: closed check, then driver errors wrapped into StorageError. */
export type RunOperation = <T>(operation: () => T | Promise<T>, constraints?: ConstraintErrors) => Promise<T>

const ARTIFACT_INSERT_INTO = `INSERT INTO certus_signed_artifacts (id, artifact_hash, artifact_type, subject, signature, certificate,
   public_key, bundle, transparency_entry_uuid, entry_uuid_key, log_index, integrated_time, log_id, predicates, created_at,
   idempotency_key)`
const ARTIFACT_PARAMETERS = 16

/** `($k+1::uuid, …, $k+16)` for the row at `row` of a multi-row VALUES list. */
function artifactPlaceholders(row: number): string {
  const at = (position: number) => `$${row * ARTIFACT_PARAMETERS + position}`
  return `(${at(1)}::uuid, ${at(2)}, ${at(3)}, ${at(4)}, ${at(5)}, ${at(6)}, ${at(7)}, ${at(8)}::json, ${at(9)}, ${at(10)},
    ${at(11)}::bigint, ${at(12)}::bigint, ${at(13)}, ${at(14)}::json, ${at(15)}::timestamptz, ${at(16)})`
}

const ARTIFACT_INSERT = `${ARTIFACT_INSERT_INTO} VALUES ${artifactPlaceholders(0)}`

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

/**
 * Inserts a group of signed artifacts in one statement (one round trip, committing by itself), outcomes in the
 * records' order. A record whose idempotency key is already taken — by an earlier record or by a twin in this group —
 * inserts nothing and is answered with the stored one (or `STORAGE_CONFLICT` when it differs), as
 * {@link insertArtifact} does; any other unique-key clash fails the statement (nothing is written), and the group is
 * then written again one savepoint per record.
 */
async function insertArtifacts(
  session: SqlSession,
  records: SignedArtifact[],
): Promise<Array<GroupOutcome<SignedArtifact>>> {
  // Only the ids come back: an inserted row holds exactly the normalised record we sent, so answering with that record
  // spares reading each bundle back and parsing it again (issue 12: on the signing process's main thread). Normalised
  // ids are already PostgreSQL's text of a uuid (lower case, hyphenated), so they match what RETURNING gives.
  const inserted = await session.query(
    `${ARTIFACT_INSERT_INTO} VALUES ${records.map((_, row) => artifactPlaceholders(row)).join(', ')}
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING id::text AS id`,
    records.flatMap((record) => rows.artifactValues(record)),
  )
  const insertedIds = new Set(inserted.map((row) => String(row.id)))
  const byId = new Map(
    records.filter((record) => insertedIds.has(record.id)).map((record) => [record.id, record]),
  )
  const missingKeys = records.filter((record) => !byId.has(record.id)).map((record) => record.idempotencyKey)
  // The inserted records are committed now: from here on a failure is the twins' alone.
  let existingByKey: Map<string, SignedArtifact> | { error: unknown } = new Map()
  if (missingKeys.length > 0) {
    try {
      const found = await session.query(
        `SELECT ${POSTGRES_DIALECT.artifactColumns} FROM certus_signed_artifacts WHERE idempotency_key = ANY($1::text[])`,
        [missingKeys.filter((key) => key !== undefined)],
      )
      for (const row of found) {
        const artifact = rows.toArtifact(row)
        if (artifact.idempotencyKey !== undefined) existingByKey.set(artifact.idempotencyKey, artifact)
      }
    } catch (error) {
      existingByKey = { error }
    }
  }
  return records.map((record): GroupOutcome<SignedArtifact> => {
    const stored = byId.get(record.id)
    if (stored) return { ok: true, value: stored }
    try {
      if (!(existingByKey instanceof Map)) throw existingByKey.error
      const existing =
        record.idempotencyKey === undefined ? undefined : existingByKey.get(record.idempotencyKey)
      if (!existing) throw recordErrors.artifactNotFound()
      return { ok: true, value: replayIdempotent(existing, record) }
    } catch (error) {
      return { ok: false, error }
    }
  })
}

/** The signed-artifact and verification records of a SQL backend. */
export function createSqlRecordStorage(driver: SqlDriver, run: RunOperation): RecordStorage {
  // Concurrent signings share one transaction (one commit) and one INSERT for their records; after a conflict, the
  // group is written again with each insert in its own savepoint.
  const artifacts = new GroupCommit<SignedArtifact, SignedArtifact>(driver, {
    one: insertArtifact,
    many: insertArtifacts,
  })
  return createSqlRecords({
    dialect: POSTGRES_DIALECT,
    run,
    select: (sql, params) => driver.query(sql, params),
    saveSignedArtifact: (input) =>
      run(
        () => {
          const record = normalizeNewSignedArtifact(input)
          return artifacts.run(record)
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
