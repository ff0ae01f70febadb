import type { RecordStorage, SignedArtifact, VerificationRecord } from '@certus-trust/storage'
import {
  byHashQuery,
  entryUuidKey,
  normalizeEntryUuidArgument,
  normalizeNewSignedArtifact,
  normalizeNewVerificationRecord,
  normalizeRecordId,
  recordErrors,
  replayIdempotent,
  resolveLogIndexArgument,
  resolveSignedArtifactQuery,
  resolveVerificationRecordQuery,
  toPage,
} from '@certus-trust/storage/backend'
import type { ConstraintErrors } from './database-errors.js'
import type { SqlDriver, SqlSession } from './driver.js'
import { GroupCommit } from './group-commit.js'
import { ARTIFACT_COLUMNS, selectPage, toArtifact, toVerification, VERIFICATION_COLUMNS } from './sql-rows.js'

/** Runs one public operation: closed check, then driver errors wrapped into StorageError. */
export type RunOperation = <T>(operation: () => Promise<T>, constraints?: ConstraintErrors) => Promise<T>

/** The newest signed-artifact record matching `where`, or `STORAGE_NOT_FOUND`. */
async function findArtifact(driver: SqlSession, where: string, params: unknown[]): Promise<SignedArtifact> {
  const rows = await driver.query(
    `SELECT ${ARTIFACT_COLUMNS} FROM certus_signed_artifacts WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT 1`,
    params,
  )
  if (!rows[0]) throw recordErrors.artifactNotFound()
  return toArtifact(rows[0])
}

async function listArtifacts(driver: SqlDriver, query: Parameters<RecordStorage['listSignedArtifacts']>[0]) {
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
}

async function insertArtifact(
  driver: SqlSession,
  input: Parameters<RecordStorage['saveSignedArtifact']>[0],
): Promise<SignedArtifact> {
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
  const existing = await findArtifact(driver, 'idempotency_key = $1', [record.idempotencyKey])
  return replayIdempotent(existing, record)
}

async function insertVerification(
  driver: SqlDriver,
  input: Parameters<RecordStorage['saveVerificationRecord']>[0],
): Promise<VerificationRecord> {
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
}

async function listVerifications(
  driver: SqlDriver,
  query: Parameters<RecordStorage['listVerificationRecords']>[0],
) {
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
}

/** The signed-artifact and verification records of a SQL backend. */
export function createSqlRecords(driver: SqlDriver, run: RunOperation): RecordStorage {
  // Concurrent signings share one transaction (one commit) for their records, each insert in its own savepoint.
  const artifacts = new GroupCommit<SignedArtifact>(driver)
  return {
    saveSignedArtifact: (input) =>
      run(() => artifacts.run((session) => insertArtifact(session, input)), {
        certus_signed_artifacts_pkey: recordErrors.duplicateArtifactId,
        certus_signed_artifacts_entry_uuid_key: recordErrors.duplicateEntryUuid,
        certus_signed_artifacts_log_index_key: recordErrors.duplicateLogIndex,
      }),

    getSignedArtifact: (id) =>
      run(async () => {
        const key = normalizeRecordId(id)
        if (key === undefined) throw recordErrors.artifactNotFound()
        return findArtifact(driver, 'id = $1::uuid', [key])
      }),

    getSignedArtifactByEntryUuid: (uuid) =>
      run(async () => {
        const key = normalizeEntryUuidArgument(uuid)
        if (key === undefined) throw recordErrors.artifactNotFound()
        return findArtifact(driver, 'entry_uuid_key = $1', [key])
      }),

    getSignedArtifactByLogIndex: (logIndex, options) =>
      run(async () => {
        const query = resolveLogIndexArgument(logIndex, options)
        return query.logId === undefined
          ? findArtifact(driver, 'log_index = $1::bigint', [query.logIndex])
          : findArtifact(driver, 'log_index = $1::bigint AND log_id = $2', [query.logIndex, query.logId])
      }),

    listSignedArtifactsByHash: (artifactHash, options) => {
      const query = byHashQuery(artifactHash, options)
      return run(() => listArtifacts(driver, query))
    },
    listSignedArtifacts: (query) => run(() => listArtifacts(driver, query)),

    saveVerificationRecord: (input) =>
      run(() => insertVerification(driver, input), {
        certus_verification_records_pkey: recordErrors.duplicateVerificationId,
      }),

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

    listVerificationRecords: (query) => run(() => listVerifications(driver, query)),
  }
}
