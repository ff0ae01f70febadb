// `@certus-trust/core/signature`: signing and verifying over a bare digest (ECDSA P-256/P-384/P-521, Ed25519ph,
// RSA PKCS#1 v1.5 and PSS) and verifying over a whole message. A subpath, so packages that never check a digest
// signature do not load @noble/curves; what needs no curve arithmetic is also `./signing` (node:crypto only).
export type { HashAlgorithm } from './signature/digest-length.js'
export { DIGEST_LENGTH } from './signature/digest-length.js'
export type { DigestSignatureOptions } from './signature/digest-signature.js'
export { verifyDigestSignature } from './signature/digest-signature.js'
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
