/**
 * Building blocks for storage backends (`@certus-trust/storage/backend`): the shared validation,
 * normalisation, cursor and error constructors every backend must use so that all of them behave
 * byte-for-byte alike. Application code does not need this entry point.
 */

// Kept for backends written against this entry point; the primitives live in @certus-trust/core.
export { bytesEqual, KeyedMutex } from '@certus-trust/core'
export { parseBackendOptions } from './backend-options.js'
export {
  assertIndex,
  assertNodeKeys,
  checkLeafBatch,
  copyBytes,
  dedupeNodes,
  isStorableText,
  isValidTreeId,
  logErrors,
  nodeKey,
  normalizeDate,
  normalizeLogLeaves,
  normalizeLogNodes,
  normalizeLogTree,
  normalizeLogTreeHead,
  resolveSearchLimit,
  resolveUnrecordedLeafQuery,
  SEARCH_KEY_DEFAULT_LIMIT,
  SEARCH_KEY_MAX_LIMIT,
} from './log-validation.js'
export type {
  PageCursor,
  ResolvedSignedArtifactQuery,
  ResolvedVerificationRecordQuery,
} from './record-validation.js'
export {
  buildSignedArtifact,
  buildVerificationRecord,
  byHashQuery,
  compareNewestFirst,
  decodePageCursor,
  encodePageCursor,
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
} from './record-validation.js'
// The SQL backends' shared half: they supply their dialect, SQL text, connections and locks; the logic is here.
export type { SqlLogBackend, SqlLogStatements } from './sql-log.js'
export { createSqlLog, LOG_COLUMNS } from './sql-log.js'
export type { Migration } from './sql-migrations.js'
export { defineMigration, pendingMigrations } from './sql-migrations.js'
export type { SqlRecordsBackend } from './sql-records.js'
export { createSqlRecords } from './sql-records.js'
export type { SqlDialect, SqlRow, SqlRowMappers } from './sql-rows.js'
export { sqlRowMappers } from './sql-rows.js'
