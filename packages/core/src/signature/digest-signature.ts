import { constants, createHash, verify as cryptoVerify, type KeyObject, publicDecrypt } from 'node:crypto'
import { eddsa } from '@noble/curves/abstract/edwards.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { bytesEqual, utf8 } from '../encoding.js'
import { DIGEST_LENGTH, type HashAlgorithm } from './digest-length.js'
import { verifyEcdsaDigest } from './ecdsa-digest.js'
import { verifyRsaPssDigest } from './rsa-pss.js'

// DER DigestInfo prefixes (RFC 8017 §9.2 note 1) for checking an RSA PKCS#1 v1.5 signature over a given digest.
const DIGEST_INFO_PREFIX: Record<HashAlgorithm, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
}

// Ed25519ph over a digest the caller already computed: the same curve and RFC 8032 domain (phflag = 1) as noble's
// ed25519ph, but with an identity "prehash", because hashedrekord carries SHA-512(message), not the message.
const ED25519PH_PREFIX = utf8('SigEd25519 no Ed25519 collisions')
const ed25519phDigest = eddsa(ed25519.Point, sha512, {
  domain: (data: Uint8Array, context: Uint8Array, phflag: boolean) => {
    const out = new Uint8Array(ED25519PH_PREFIX.length + 2 + context.length + data.length)
    out.set(ED25519PH_PREFIX, 0)
    out[ED25519PH_PREFIX.length] = phflag ? 1 : 0
    out[ED25519PH_PREFIX.length + 1] = context.length
    out.set(context, ED25519PH_PREFIX.length + 2)
    out.set(data, ED25519PH_PREFIX.length + 2 + context.length)
    return out
  },
  prehash: (message: Uint8Array) => message,
})

function rawEd25519(key: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url'))
}

/** Options of {@link verifyDigestSignature}. */
export interface DigestSignatureOptions {
  /**
   * The signed message itself, when the caller has it. Its digest must equal `digest` (else the check fails); the
   * signature is then verified over the message with node:crypto, which is ~30x faster than ECDSA over a bare digest
   * in JavaScript. For ECDSA and RSA the outcome is the same as over the digest; Ed25519 additionally accepts a pure
   * Ed25519 signature over the message.
   */
  message?: Uint8Array
}

const PSS_AUTO = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }

// Signing H(message) with a hash-and-sign scheme is signing the message with H, so node:crypto can check a digest
// signature over the message. Only Ed25519 differs (pure vs. prehashed), hence its digest fallback.
function verifyOverMessage(
  key: KeyObject,
  algorithm: HashAlgorithm,
  digest: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!bytesEqual(new Uint8Array(createHash(algorithm).update(message).digest()), digest)) return false
  switch (key.asymmetricKeyType) {
    case 'ec':
      return cryptoVerify(algorithm, message, { key, dsaEncoding: 'der' }, signature)
    case 'rsa':
      return (
        cryptoVerify(algorithm, message, { key, padding: constants.RSA_PKCS1_PADDING }, signature) ||
        cryptoVerify(algorithm, message, { key, ...PSS_AUTO }, signature)
      )
    case 'rsa-pss':
      return cryptoVerify(algorithm, message, { key, ...PSS_AUTO }, signature)
    case 'ed25519':
      return (
        cryptoVerify(null, message, key, signature) || verifyOverDigest(key, algorithm, digest, signature)
      )
    default:
      return false
  }
}

function verifyOverDigest(
  key: KeyObject,
  algorithm: HashAlgorithm,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return verifyEcdsaDigest(key, digest, signature)
    case 'rsa': {
      if (verifyRsaPssDigest(key, algorithm, digest, signature)) return true
      const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature)
      const expected = Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[algorithm], 'hex'), digest])
      return bytesEqual(new Uint8Array(recovered), new Uint8Array(expected))
    }
    case 'rsa-pss':
      return verifyRsaPssDigest(key, algorithm, digest, signature)
    case 'ed25519':
      return (
        algorithm === 'sha512' &&
        ed25519phDigest.verify(signature, digest, rawEd25519(key), { zip215: false })
      )
    default:
      return false
  }
}

/**
 * Verifies a signature made over a *digest* (hashedrekord semantics) rather than over the message:
 * ECDSA P-256/P-384/P-521 (DER; the digest truncated to the curve order as FIPS 186-4 says), RSA PKCS#1 v1.5 by
 * recovering the DigestInfo, RSA-PSS (`rsa` and `rsa-pss` keys; EMSA-PSS with MGF1 over the digest's hash, salt
 * length recovered from the encoding), Ed25519 as Ed25519ph (which is what Rekor verifies for hashedrekord; the
 * digest must be SHA-512). With `options.message` the check runs over the message with node:crypto (see
 * {@link DigestSignatureOptions}). ECDSA P-256 is checked by OpenSSL through a shifted key (the same verdict, at
 * about the cost of verifying a message, for known and fresh keys alike); decoded EC public points are cached per key
 * (bounded, least recently used evicted) and P-384/P-521 keys seen repeatedly get a precomputed table.
 * Returns false on any failure.
 */
export function verifyDigestSignature(
  key: KeyObject,
  algorithm: HashAlgorithm,
  digest: Uint8Array,
  signature: Uint8Array,
  options: DigestSignatureOptions = {},
): boolean {
  if (!Object.hasOwn(DIGEST_LENGTH, algorithm) || digest.length !== DIGEST_LENGTH[algorithm]) return false
  try {
    return options.message !== undefined
      ? verifyOverMessage(key, algorithm, digest, options.message, signature)
      : verifyOverDigest(key, algorithm, digest, signature)
  } catch {
    return false
  }
}
