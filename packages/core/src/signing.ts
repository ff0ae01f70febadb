// `@certus-trust/core/signing`: signing over a bare digest (ECDSA P-256/P-384, RSA PKCS#1 v1.5 and PSS) and
// verifying over a whole message — node:crypto only. A subpath apart from `./signature` (which re-exports all of
// it) because checks over a bare digest need @noble/curves, whose curves are built as it loads: a signer, or a log
// that skips the check of its own process's signatures, loads `./signing` and `./signature` only on demand.
export type { HashAlgorithm } from './signature/digest-length.js'
export { DIGEST_LENGTH } from './signature/digest-length.js'
export {
  type EcdsaDigestToSign,
  ecPrivateScalar,
  signEcdsaDigest,
  signEcdsaDigests,
} from './signature/ecdsa-digest-sign.js'
export type { EcdsaPresignature } from './signature/ecdsa-presign.js'
export {
  createEcdsaPresignatures,
  readEcdsaPresignatures,
  signWithEcdsaPresignature,
} from './signature/ecdsa-presign.js'
export { verifyMessageSignature } from './signature/message-signature.js'
export type { RsaDigestSignOptions } from './signature/rsa-digest-sign.js'
export { signRsaDigest } from './signature/rsa-digest-sign.js'
