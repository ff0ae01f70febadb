// `@certus-trust/log-protocol/entries`: what a log stores and a client proposes — Rekor v1 entry bodies
// (hashedrekord, DSSE, intoto) and their canonicalisation, Rekor v2 requests, bundle `tlogEntries` conversion,
// full entry checks, the own-signatures ledger. A subpath because it loads zod and core's digest signatures.

export type { TransparencyLogEntryJson } from './bundle.js'
export { fromBundleTransparencyLogEntry, toBundleTransparencyLogEntry } from './bundle.js'
export type {
  DsseEnvelope,
  DsseProposedEntry,
  EntryBody,
  ExpectedEntryContent,
  HashedRekordProposedEntry,
  ProposedEntry,
} from './entry-body.js'
export {
  buildDsseProposedEntry,
  buildHashedRekordProposedEntry,
  canonicalizeProposedEntry,
  parseEntryBody,
  verifyEntryBodyMatches,
  verifyEntryBodySignature,
} from './entry-body.js'
export type { HashedRekordShape } from './hashed-rekord-shape.js'
export { readHashedRekordShape } from './hashed-rekord-shape.js'
export type { KeyDetailsOptions, PublicKeyDetails } from './key-details.js'
export { KEY_DETAILS_HASH, keyDetailsFor } from './key-details.js'
export { OWN_SIGNATURES_CAPACITY, OwnSignatures } from './own-signatures.js'
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
export type { EntryCheck, VerifyEntryOptions, VerifyEntryResult } from './verify-entry.js'
export { verifyEntry } from './verify-entry.js'
