import { sqlRowMappers } from '@certus-trust/storage/backend'

export const ARTIFACT_COLUMNS = `id, artifact_hash, artifact_type, subject, signature, certificate, public_key, bundle,
  transparency_entry_uuid, log_index, integrated_time, log_id, predicates, created_at, idempotency_key`
export const VERIFICATION_COLUMNS = `id, artifact_hash, signature, valid, signer, issuer, verified_at, transparency_index,
  failure_code, failure_message`
export const LEAF_COLUMNS =
  'tree_id, leaf_index, leaf_hash, body, integrated_time, signed_entry_timestamp, search_keys'
export const TREE_COLUMNS =
  'tree_id, origin, public_key_pem, key_algorithm, log_id, start_index, active, created_at, frozen_at'
export const HEAD_COLUMNS = 'tree_id, tree_size, root_hash, checkpoint, created_at'

// Row → API object mappers: storage's shared ones, with how node:sqlite returns times (integer milliseconds),
// booleans (0/1) and JSON arrays (text).
export const { toArtifact, toVerification, toLeaf, toTree, toHead } = sqlRowMappers({
  date: (value) => new Date(Number(value)),
  boolean: (value) => Number(value) === 1,
  stringArray: (value) => (JSON.parse(String(value)) as unknown[]).map(String),
})
