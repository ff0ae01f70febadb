export type { FulcioExtensions, SubjectAltNames } from '@certus-trust/core/x509'
export type { ArtifactInput } from './artifact.js'
export type { ParsedBundle } from './bundle.js'
export { parseBundle } from './bundle.js'
export type { CommandIo } from './cli.js'
export { runVerifyBundle } from './cli.js'
export type { VerifierErrorCode } from './errors.js'
export { VerifierError } from './errors.js'
export type { RekorEntryReader } from './online.js'
export { rekorEntryLookup } from './online.js'
export type { CertificateIdentityPolicy, PublicKeyPolicy, VerificationPolicy } from './policy.js'
export { PUBLIC_GOOD_TRUSTED_ROOT_JSON } from './public-good-root.js'
export type { FetchTrustedRootOptions } from './trust.js'
export {
  fetchTrustedRoot,
  loadTrustedRootFile,
  PUBLIC_GOOD_TUF_MIRROR,
  publicGoodTrustMaterial,
  STAGING_TUF_MIRROR,
} from './trust.js'
export type { CertificateAuthority, TrustedLog, TrustMaterial, ValidityWindow } from './trust-root.js'
export { parseTrustedRoot } from './trust-root.js'
export type { IgnoredTimestamp, UnverifiedTimestampPolicy } from './tsa.js'
export type {
  BatchItem,
  BatchOptions,
  BatchOutcome,
  EntryLookup,
  VerificationCheck,
  VerificationResult,
  VerifiedSigner,
  VerifiedTime,
  VerifiedTlogEntry,
  Verifier,
  VerifierOptions,
} from './verifier.js'
export { createVerifier, verify } from './verifier.js'
