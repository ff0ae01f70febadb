// Public entry of @certus-trust/rekor: the Rekor v1 and v2 clients, the tlog-tiles reader, plus offline verification
// (pure functions, no network).
// `./offline` (src/offline.ts) re-exports the offline half without loading ky, zod or @noble/curves.

export type { EntryRecordFields, EntrySigner, TransparencyLogEntryJson } from './bundle.js'
export {
  entryFieldsForRecord,
  fromBundleTransparencyLogEntry,
  toBundleTransparencyLogEntry,
} from './bundle.js'
export { canonicalJson } from './canonical-json.js'
export type { Checkpoint, CheckpointContent, CheckpointSignature } from './checkpoint.js'
export {
  checkpointKeyHint,
  namedNoteKeyId,
  noteKeyId,
  parseCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
} from './checkpoint.js'
export type {
  DsseBody,
  DsseEnvelope,
  DsseProposedEntry,
  EntryBody,
  ExpectedEntryContent,
  HashedRekordBody,
  HashedRekordProposedEntry,
  IntotoBody,
  ProposedEntry,
} from './entry-body.js'
export {
  buildDsseProposedEntry,
  buildHashedRekordProposedEntry,
  canonicalizeProposedEntry,
  parseDigest,
  parseDsseEnvelope,
  parseEntryBody,
  verifyEntryBodyMatches,
  verifyEntryBodySignature,
} from './entry-body.js'
export type { RekorErrorCode } from './errors.js'
export { RekorError } from './errors.js'
export type { KeyDetailsOptions, PublicKeyDetails } from './key-details.js'
export { KEY_DETAILS_HASH, keyDetailsFor } from './key-details.js'
export type { PublicKeyInput } from './keys.js'
export { logIdFromPublicKey, toPublicKey, verifyLogSignature } from './keys.js'
export type { CreateEntryOptions, EntryCreator, LogEntry, LogEntryInclusionProof } from './log-entry.js'
export type { ConsistencyProofInput, InclusionProofInput, InclusionProofVerification } from './merkle.js'
export {
  EMPTY_TREE_ROOT,
  hashChildren,
  hashLeaf,
  rootFromInclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './merkle.js'
export { OWN_SIGNATURES_CAPACITY, OwnSignatures } from './own-signatures.js'
export type {
  CallOptions,
  RekorClientOptions,
  RetrieveEntriesQuery,
  SearchIndexQuery,
} from './rekor-client.js'
export {
  createRekorClient,
  DEFAULT_REKOR_RETRIES,
  DEFAULT_REKOR_TIMEOUT,
  DEFAULT_REKOR_URL,
  RekorClient,
} from './rekor-client.js'
export type { RekorV2ClientOptions, V2EntryCreator } from './rekor-v2-client.js'
export { DEFAULT_REKOR_V2_TIMEOUT, RekorV2Client, TILES_PATH_PREFIX } from './rekor-v2-client.js'
export type {
  DsseRequestV002,
  HashedRekordRequestV002,
  RekorV2EntryRequest,
  RekorV2Verifier,
  RekorV2VerifierInput,
} from './rekor-v2-entry.js'
export {
  buildDsseRequestV002,
  buildHashedRekordRequestV002,
  verifyV2BodyMatchesRequest,
} from './rekor-v2-entry.js'
export type { ConsistencyProofResponse, LogInfo, ShardInfo } from './schemas.js'
export type { DigestSignatureOptions, HashAlgorithm } from './signatures.js'
export { verifyDigestSignature } from './signatures.js'
export type { SignedEntryTimestampInput } from './signed-entry-timestamp.js'
export {
  signedEntryTimestampPayload,
  signSignedEntryTimestamp,
  signSignedEntryTimestampOffThread,
  verifySignedEntryTimestamp,
} from './signed-entry-timestamp.js'
export type { TileInclusionProof, TilesClientOptions } from './tiles.js'
export { parseEntryBundle, TILE_WIDTH, TilesClient, tilePath } from './tiles.js'
export type { EntryCheck, VerifyEntryOptions, VerifyEntryResult } from './verify-entry.js'
export { verifyEntry } from './verify-entry.js'
