export { canonicalJson } from './canonical-json.js'
export { copyJson } from './copy-json.js'
export { deepFreeze } from './deep-freeze.js'
export type { Sha256Digest, Sha256DigestString } from './digest.js'
export { formatSha256Digest, isSha256Digest, parseSha256Digest } from './digest.js'
export { preAuthEncoding } from './dsse.js'
export {
  bytesEqual,
  fromAnyBase64,
  fromBase64,
  fromHex,
  sha256,
  toBase64,
  toHex,
  utf8,
} from './encoding.js'
export type {
  CertusErrorOptions,
  CoreErrorCode,
  ErrorCategory,
  ErrorCategoryRefiner,
} from './errors.js'
export {
  CertusError,
  CoreError,
  categoryOf,
  defineErrorClass,
  ERROR_CATEGORIES,
} from './errors.js'
export type { SigstoreHash } from './hash-names.js'
export { hashFromProtobufName, PROTOBUF_HASH_NAMES } from './hash-names.js'
export type {
  KeyDetailsRule,
  PublicKeyDetails,
  SigningKeyAlgorithm,
  SigningKeyDetails,
} from './key-details.js'
export {
  findKeyDetails,
  KEY_DETAILS_RULES,
  keyDetailsRule,
  keyMatchesKeyDetails,
} from './key-details.js'
export { publicKeyFingerprint } from './key-fingerprint.js'
export { KeyedMutex } from './keyed-mutex.js'
export type { Logger } from './logger.js'
export { noopLogger } from './logger.js'
export { fromPem, toPem } from './pem.js'
