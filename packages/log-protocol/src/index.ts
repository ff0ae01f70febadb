// Public entry of @certus-trust/log-protocol: the transparency-log protocol that needs nothing but node:crypto and
// core (RFC 6962 hashing and proofs, signed-note checkpoints, signed entry timestamps, log keys and ids, C2SP
// tlog-tiles paths) plus the
// log-entry types every log and client shares. Entry bodies, bundle entries and full entry checks are the
// `./entries` subpath, which also loads zod and core's digest signatures (@noble/curves): a verifier that only
// checks proofs and checkpoints does not pay their load time.

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
export { logIdFromPublicKey, signLogData, toPublicKey, verifyLogSignature } from './keys.js'
export type { CreateEntryOptions, EntryCreator, LogEntry, LogEntryInclusionProof } from './log-entry.js'
export type { ConsistencyProofInput, InclusionProofInput, InclusionProofVerification } from './merkle.js'
export {
  createInclusionProofChecker,
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
  signSignedEntryTimestampOffThread,
  verifySignedEntryTimestamp,
} from './signed-entry-timestamp.js'
export { parseEntryBundle, TILE_WIDTH, TILES_PATH_PREFIX, tilePath } from './tiles.js'
