import type { LogLeaf, LogTree, LogTreeHead, SignedArtifact, VerificationRecord } from '@certus-trust/storage'
import { buildSignedArtifact, buildVerificationRecord } from '@certus-trust/storage/backend'
import type { Row } from './connection.js'

// Row → API object mappers. Integers come back as numbers (every stored integer is a safe integer),
// times as integer milliseconds, booleans as 0/1, bytes as Uint8Array.

const bytes = (value: unknown): Uint8Array => new Uint8Array(value as Uint8Array)
const num = (value: unknown): number => Number(value)
const date = (value: unknown): Date => new Date(Number(value))
const optional = <T>(value: unknown, map: (value: unknown) => T): T | undefined =>
  value === null || value === undefined ? undefined : map(value)

export const ARTIFACT_COLUMNS = `id, artifact_hash, artifact_type, subject, signature, certificate, public_key, bundle,
  transparency_entry_uuid, log_index, integrated_time, log_id, predicates, created_at, idempotency_key`
export const VERIFICATION_COLUMNS = `id, artifact_hash, signature, valid, signer, issuer, verified_at, transparency_index,
  failure_code, failure_message`
export const LEAF_COLUMNS =
  'tree_id, leaf_index, leaf_hash, body, integrated_time, signed_entry_timestamp, search_keys'
export const TREE_COLUMNS =
  'tree_id, origin, public_key_pem, key_algorithm, log_id, start_index, active, created_at, frozen_at'
export const HEAD_COLUMNS = 'tree_id, tree_size, root_hash, checkpoint, created_at'

export function toArtifact(row: Row): SignedArtifact {
  return buildSignedArtifact({
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
  } as SignedArtifact)
}

export function toVerification(row: Row): VerificationRecord {
  return buildVerificationRecord({
    id: String(row.id),
    artifactHash: String(row.artifact_hash),
    signature: optional(row.signature, String),
    valid: num(row.valid) === 1,
    signer: optional(row.signer, String),
    issuer: optional(row.issuer, String),
    verifiedAt: date(row.verified_at),
    transparencyIndex: optional(row.transparency_index, num),
    failureCode: optional(row.failure_code, String),
    failureMessage: optional(row.failure_message, String),
  } as VerificationRecord)
}

export function toLeaf(row: Row): LogLeaf {
  return {
    treeId: String(row.tree_id),
    leafIndex: num(row.leaf_index),
    leafHash: bytes(row.leaf_hash),
    body: bytes(row.body),
    integratedTime: num(row.integrated_time),
    signedEntryTimestamp: bytes(row.signed_entry_timestamp),
    searchKeys: (JSON.parse(String(row.search_keys)) as unknown[]).map(String),
  }
}

export function toTree(row: Row): LogTree {
  const tree: LogTree = {
    treeId: String(row.tree_id),
    origin: String(row.origin),
    publicKeyPem: String(row.public_key_pem),
    keyAlgorithm: String(row.key_algorithm),
    logId: String(row.log_id),
    startIndex: num(row.start_index),
    active: num(row.active) === 1,
    createdAt: date(row.created_at),
  }
  if (row.frozen_at !== null && row.frozen_at !== undefined) tree.frozenAt = date(row.frozen_at)
  return tree
}

export function toHead(row: Row): LogTreeHead {
  return {
    treeId: String(row.tree_id),
    treeSize: num(row.tree_size),
    rootHash: bytes(row.root_hash),
    checkpoint: String(row.checkpoint),
    createdAt: date(row.created_at),
  }
}
