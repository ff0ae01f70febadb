// `@certus-trust/rekor/offline`: the pure, network-free half of the package (RFC 6962 hashing and proofs,
// checkpoints, signed entry timestamps, log signatures, canonical JSON, DSSE PAE). Nothing reachable from here
// imports ky, zod or @noble/curves, so a short-lived process (e.g. a verifier CLI launched once per check) can use
// the protocol code without their load time. Every name here is also exported by the main entry.

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
export type { RekorErrorCode } from './errors.js'
export { RekorError } from './errors.js'
export type { PublicKeyInput } from './keys.js'
export { logIdFromPublicKey, toPublicKey, verifyLogSignature } from './keys.js'
export type { ConsistencyProofInput, InclusionProofInput, InclusionProofVerification } from './merkle.js'
export {
  EMPTY_TREE_ROOT,
  hashChildren,
  hashLeaf,
  rootFromInclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './merkle.js'
export type { SignedEntryTimestampInput } from './signed-entry-timestamp.js'
export {
  signedEntryTimestampPayload,
  signSignedEntryTimestamp,
  verifySignedEntryTimestamp,
} from './signed-entry-timestamp.js'
