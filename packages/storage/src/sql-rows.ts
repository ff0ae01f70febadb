import type { LogLeaf, LogTree, LogTreeHead } from './log-storage.js'
import { buildSignedArtifact, buildVerificationRecord } from './record-validation.js'
import type { SignedArtifact, VerificationRecord } from './records.js'

/** A row as an SQL driver returns it: column name → value. */
export type SqlRow = Record<string, unknown>

/** How one SQL dialect's driver hands back the values the SQL backends store differently. */
export interface SqlRowDialect {
  /** A timestamp column (PostgreSQL `timestamptz` → Date or text; SQLite integer milliseconds). */
  date(value: unknown): Date
  /** A boolean column (PostgreSQL `boolean`; SQLite 0/1). */
  boolean(value: unknown): boolean
  /** A column holding a JSON array of strings (PostgreSQL `jsonb` → already parsed; SQLite text). */
  stringArray(value: unknown): string[]
}

/** Row → API object mappers of the SQL backends. */
export interface SqlRowMappers {
  toArtifact(row: SqlRow): SignedArtifact
  toVerification(row: SqlRow): VerificationRecord
  toLeaf(row: SqlRow): LogLeaf
  toTree(row: SqlRow): LogTree
  toHead(row: SqlRow): LogTreeHead
}

const bytes = (value: unknown): Uint8Array => new Uint8Array(value as Uint8Array)
// Every stored integer is a safe integer (indices, sizes, milliseconds), whatever type the driver returns.
const num = (value: unknown): number => Number(value)
const optional = <T>(value: unknown, map: (value: unknown) => T): T | undefined =>
  value === null || value === undefined ? undefined : map(value)

/**
 * The row mappers of an SQL backend: the same columns map to the same objects on every backend (records go
 * through the shared builders); only `dialect` differs. JSON documents are selected as text on every backend.
 */
export function sqlRowMappers(dialect: SqlRowDialect): SqlRowMappers {
  const { date } = dialect
  return {
    toArtifact: (row) =>
      buildSignedArtifact({
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
      } as SignedArtifact),
    toVerification: (row) =>
      buildVerificationRecord({
        id: String(row.id),
        artifactHash: String(row.artifact_hash),
        signature: optional(row.signature, String),
        valid: dialect.boolean(row.valid),
        signer: optional(row.signer, String),
        issuer: optional(row.issuer, String),
        verifiedAt: date(row.verified_at),
        transparencyIndex: optional(row.transparency_index, num),
        failureCode: optional(row.failure_code, String),
        failureMessage: optional(row.failure_message, String),
      } as VerificationRecord),
    toLeaf: (row) => ({
      treeId: String(row.tree_id),
      leafIndex: num(row.leaf_index),
      leafHash: bytes(row.leaf_hash),
      body: bytes(row.body),
      integratedTime: num(row.integrated_time),
      signedEntryTimestamp: bytes(row.signed_entry_timestamp),
      searchKeys: dialect.stringArray(row.search_keys),
    }),
    toTree: (row) => {
      const tree: LogTree = {
        treeId: String(row.tree_id),
        origin: String(row.origin),
        publicKeyPem: String(row.public_key_pem),
        keyAlgorithm: String(row.key_algorithm),
        logId: String(row.log_id),
        startIndex: num(row.start_index),
        active: dialect.boolean(row.active),
        createdAt: date(row.created_at),
      }
      if (row.frozen_at !== null && row.frozen_at !== undefined) tree.frozenAt = date(row.frozen_at)
      return tree
    },
    toHead: (row) => ({
      treeId: String(row.tree_id),
      treeSize: num(row.tree_size),
      rootHash: bytes(row.root_hash),
      checkpoint: String(row.checkpoint),
      createdAt: date(row.created_at),
    }),
  }
}
