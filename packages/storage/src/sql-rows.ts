import type { LogLeaf, LogTree, LogTreeHead } from './log-storage.js'
import { buildSignedArtifact, buildVerificationRecord, entryUuidKey } from './record-validation.js'
import type { SignedArtifact, VerificationRecord } from './records.js'

/** A row as an SQL driver returns it: column name → value. */
export type SqlRow = Record<string, unknown>

/**
 * What differs between the SQL dialects for the statements and rows the SQL backends share: how a driver hands
 * values back and takes them, how a statement names its bound parameters, and how record columns are selected.
 */
export interface SqlDialect {
  /** A timestamp column (PostgreSQL `timestamptz` → Date or text; SQLite integer milliseconds). */
  date(value: unknown): Date
  /** A boolean column (PostgreSQL `boolean`; SQLite 0/1). */
  boolean(value: unknown): boolean
  /** A column holding a JSON array of strings (PostgreSQL `jsonb` → already parsed; SQLite text). */
  stringArray(value: unknown): string[]
  /** A Date as bound to a timestamp column (PostgreSQL the Date; SQLite integer milliseconds). */
  bindDate(value: Date): unknown
  /** A boolean as bound to a boolean column (PostgreSQL the boolean; SQLite 1/0). */
  bindBoolean(value: boolean): unknown
  /** A string array as bound to `search_keys` (PostgreSQL `text[]`; SQLite JSON text). */
  bindStringArray(value: ReadonlyArray<string>): unknown
  /** The `n`-th bound parameter (1-based) of a statement: PostgreSQL `$n` (with `::cast`); SQLite `?`. */
  param(n: number, cast?: string): string
  /** The select list of `certus_signed_artifacts` (every column {@link SqlRowMappers.toArtifact} reads). */
  artifactColumns: string
  /** The select list of `certus_verification_records`. */
  verificationColumns: string
}

/** Row ↔ API object mappers of the SQL backends. */
export interface SqlRowMappers {
  toArtifact(row: SqlRow): SignedArtifact
  toVerification(row: SqlRow): VerificationRecord
  toLeaf(row: SqlRow): LogLeaf
  toTree(row: SqlRow): LogTree
  toHead(row: SqlRow): LogTreeHead
  /**
   * The bound values of a normalised artifact, in column order: id, artifact_hash, artifact_type, subject,
   * signature, certificate, public_key, bundle, transparency_entry_uuid, entry_uuid_key, log_index,
   * integrated_time, log_id, predicates, created_at, idempotency_key.
   */
  artifactValues(record: SignedArtifact): unknown[]
  /**
   * The bound values of a normalised verification record, in column order: id, artifact_hash, signature, valid,
   * signer, issuer, verified_at, transparency_index, failure_code, failure_message.
   */
  verificationValues(record: VerificationRecord): unknown[]
  /**
   * Appends the bound values of a normalised leaf to `into` (a multi-row statement's parameters, or a new array)
   * and returns it, in column order: tree_id, leaf_index, leaf_hash, body, integrated_time, signed_entry_timestamp,
   * search_keys.
   */
  leafValues(leaf: LogLeaf, into?: unknown[]): unknown[]
  /**
   * The bound values of a normalised tree, in column order: tree_id, origin, public_key_pem, key_algorithm,
   * log_id, start_index, active, created_at, frozen_at.
   */
  treeValues(tree: LogTree): unknown[]
}

const bytes = (value: unknown): Uint8Array => new Uint8Array(value as Uint8Array)
// Every stored integer is a safe integer (indices, sizes, milliseconds), whatever type the driver returns.
const num = (value: unknown): number => Number(value)
const optional = <T>(value: unknown, map: (value: unknown) => T): T | undefined =>
  value === null || value === undefined ? undefined : map(value)

/**
 * The row mappers of an SQL backend: the same columns map to the same objects on every backend (records go
 * through the shared builders), and the same objects to the same bound values; only `dialect` differs. JSON
 * documents are selected as text on every backend.
 */
export function sqlRowMappers(dialect: SqlDialect): SqlRowMappers {
  const { date, bindDate, bindBoolean } = dialect
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
    artifactValues: (record) => [
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
      bindDate(record.createdAt),
      record.idempotencyKey ?? null,
    ],
    verificationValues: (record) => [
      record.id,
      record.artifactHash,
      record.signature ?? null,
      bindBoolean(record.valid),
      record.signer ?? null,
      record.issuer ?? null,
      bindDate(record.verifiedAt),
      record.transparencyIndex ?? null,
      record.failureCode ?? null,
      record.failureMessage ?? null,
    ],
    leafValues: (leaf, into = []) => {
      into.push(
        leaf.treeId,
        leaf.leafIndex,
        leaf.leafHash,
        leaf.body,
        leaf.integratedTime,
        leaf.signedEntryTimestamp,
        dialect.bindStringArray(leaf.searchKeys),
      )
      return into
    },
    treeValues: (tree) => [
      tree.treeId,
      tree.origin,
      tree.publicKeyPem,
      tree.keyAlgorithm,
      tree.logId,
      tree.startIndex,
      bindBoolean(tree.active),
      bindDate(tree.createdAt),
      tree.frozenAt === undefined ? null : bindDate(tree.frozenAt),
    ],
  }
}
