import { type SqlDialect, sqlRowMappers } from '@certus-trust/storage/backend'

/**
 * How node:sqlite stores times (integer milliseconds), booleans (0/1) and JSON arrays (text), and names
 * parameters (positional `?`; SQLite needs no casts).
 */
export const SQLITE_DIALECT: SqlDialect = {
  date: (value) => new Date(Number(value)),
  boolean: (value) => Number(value) === 1,
  stringArray: (value) => (JSON.parse(String(value)) as unknown[]).map(String),
  bindDate: (value) => value.getTime(),
  bindBoolean: (value) => (value ? 1 : 0),
  bindStringArray: (value) => JSON.stringify(value),
  param: () => '?',
  artifactColumns: `id, artifact_hash, artifact_type, subject, signature, certificate, public_key, bundle,
  transparency_entry_uuid, log_index, integrated_time, log_id, predicates, created_at, idempotency_key`,
  verificationColumns: `id, artifact_hash, signature, valid, signer, issuer, verified_at, transparency_index,
  failure_code, failure_message`,
}

export const rows = sqlRowMappers(SQLITE_DIALECT)
