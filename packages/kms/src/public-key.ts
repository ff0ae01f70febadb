import { createHash, createPublicKey, type KeyObject } from 'node:crypto'
import type { SigningKeyAlgorithm, SigningKeyDetails } from '@certus-trust/core'
import {
  children,
  DerError,
  type DerNode,
  derInteger,
  derSequence,
  encoding,
  readNode,
} from '@certus-trust/core/der'
import { KmsError } from './errors.js'

/** Signing schemes a KMS key can have; the same names as `@certus-trust/signer`'s `KeyAlgorithm`. */
export type KmsKeyAlgorithm = SigningKeyAlgorithm

/**
 * Sigstore `PublicKeyDetails` names a KMS key has: the same set as `@certus-trust/signer`'s keys (core's one table).
 * Every ECDSA and RSA signature is over a SHA-256 digest (P-384 included, see docs/decisions/0010-signer-design.md); Ed25519
 * signs the message itself.
 */
export type KmsKeyDetails = SigningKeyDetails

/** A KMS key as the signer sees it. */
export interface KmsKeyInfo {
  algorithm: KmsKeyAlgorithm
  keyDetails: KmsKeyDetails
  /** RSA modulus length, curve size for ECDSA, 256 for Ed25519. */
  bits: number
  /**
   * PEM SubjectPublicKeyInfo. For RSA-PSS it is an `id-RSASSA-PSS` SPKI restricted to SHA-256, MGF1-SHA-256 and a
   * 32-byte salt — what the service signs with — so verifiers (node, `@sigstore/verify`) check PSS, not PKCS#1.
   */
  publicKeyPem: string
  /** Hex SHA-256 of the DER SPKI above: the default bundle `publicKey.hint`. */
  keyId: string
}

/** The smallest RSA modulus a KMS key may have (as in the signer). */
const MIN_RSA_BITS = 2048

// AlgorithmIdentifier { id-RSASSA-PSS, { sha256, mgf1(sha256), saltLength 32 } } exactly as OpenSSL writes it.
const RSA_PSS_SHA256_ALGORITHM = Buffer.from(
  '304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108' +
    '300d06096086480165030402010500a203020120',
  'hex',
)

/**
 * Checks the public key a service returned against the scheme it says the key signs with, and describes it.
 *
 * @param publicKey DER or PEM SubjectPublicKeyInfo
 * @param algorithm the scheme the service reports for the key (mapped from its own names by each provider)
 * @throws KmsError `KMS_RESPONSE_INVALID` (unparsable, or not the reported type), `KMS_UNSUPPORTED_ALGORITHM`
 */
export function describeKmsPublicKey(publicKey: string | Uint8Array, algorithm: KmsKeyAlgorithm): KmsKeyInfo {
  let key: KeyObject
  try {
    key =
      typeof publicKey === 'string'
        ? createPublicKey(publicKey)
        : createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' })
  } catch (error) {
    throw new KmsError({
      code: 'KMS_RESPONSE_INVALID',
      message: 'the service returned a public key that is not a valid SubjectPublicKeyInfo',
      cause: error,
    })
  }
  const type = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails ?? {}
  const mismatch = () =>
    new KmsError({
      code: 'KMS_RESPONSE_INVALID',
      message:
        `the service says the key signs with ${algorithm}, but its public key is ${type} ${details.namedCurve ?? ''}`.trim(),
      details: { algorithm, keyType: type },
    })
  switch (algorithm) {
    case 'ecdsa-p256':
    case 'ecdsa-p384': {
      const curve = algorithm === 'ecdsa-p256' ? 'prime256v1' : 'secp384r1'
      if (type !== 'ec' || details.namedCurve !== curve) throw mismatch()
      return info(key, algorithm, algorithm === 'ecdsa-p256' ? 256 : 384)
    }
    case 'ed25519':
      if (type !== 'ed25519') throw mismatch()
      return info(key, algorithm, 256)
    case 'rsa-pkcs1v15':
    case 'rsa-pss': {
      if (type !== 'rsa' && type !== 'rsa-pss') throw mismatch()
      const bits = details.modulusLength ?? 0
      if (bits < MIN_RSA_BITS) {
        throw new KmsError({
          code: 'KMS_UNSUPPORTED_ALGORITHM',
          message: `RSA keys must have at least ${MIN_RSA_BITS} bits (this one has ${bits})`,
          details: { bits },
        })
      }
      return info(algorithm === 'rsa-pss' ? toRsaPssKey(key) : key, algorithm, bits)
    }
  }
}

function info(key: KeyObject, algorithm: KmsKeyAlgorithm, bits: number): KmsKeyInfo {
  const der = key.export({ type: 'spki', format: 'der' })
  return {
    algorithm,
    bits,
    keyDetails: keyDetailsOf(algorithm, bits),
    publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: createHash('sha256').update(der).digest('hex'),
  }
}

function keyDetailsOf(algorithm: KmsKeyAlgorithm, bits: number): KmsKeyDetails {
  const size = bits >= 4096 ? 4096 : bits >= 3072 ? 3072 : 2048
  switch (algorithm) {
    case 'ecdsa-p256':
      return 'PKIX_ECDSA_P256_SHA_256'
    case 'ecdsa-p384':
      return 'PKIX_ECDSA_P384_SHA_384'
    case 'ed25519':
      return 'PKIX_ED25519'
    case 'rsa-pkcs1v15':
      return `PKIX_RSA_PKCS1V15_${size}_SHA256`
    case 'rsa-pss':
      return `PKIX_RSA_PSS_${size}_SHA256`
  }
}

/**
 * KMS services return PSS keys as plain `rsaEncryption` SPKIs; re-wrap the same RSAPublicKey under
 * `id-RSASSA-PSS` so that verifiers pick PSS padding from the key itself.
 */
function toRsaPssKey(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType === 'rsa-pss') return key
  const der = key.export({ type: 'spki', format: 'der' })
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
  let subjectPublicKey: DerNode | undefined
  try {
    subjectPublicKey = children(readNode(der))[1]
  } catch (error) {
    if (!(error instanceof DerError)) throw error
  }
  if (subjectPublicKey === undefined) {
    throw new KmsError({ code: 'KMS_RESPONSE_INVALID', message: 'unexpected SubjectPublicKeyInfo structure' })
  }
  const spki = derSequence(RSA_PSS_SHA256_ALGORITHM, encoding(subjectPublicKey))
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })
}

/**
 * Converts an ECDSA signature from IEEE P1363 (`r || s`, as JOSE/Azure return it) to ASN.1 DER, the form
 * Sigstore bundles carry.
 * @throws KmsError `KMS_RESPONSE_INVALID` when the length is not twice the curve size
 */
export function ecdsaP1363ToDer(signature: Uint8Array, curveBits: 256 | 384): Uint8Array {
  const size = curveBits / 8
  if (signature.length !== 2 * size) {
    throw new KmsError({
      code: 'KMS_RESPONSE_INVALID',
      message: `expected a ${2 * size}-byte r||s ECDSA signature, got ${signature.length} bytes`,
    })
  }
  // derInteger trims leading zero octets and restores one where the high bit is set: DER's minimal INTEGER.
  return derSequence(derInteger(signature.subarray(0, size)), derInteger(signature.subarray(size)))
}

/**
 * A SHA-256 digest as a 48-byte "SHA-384 digest" for services that only sign P-384 with SHA-384.
 * ECDSA uses the leftmost curve-size bits of the digest as an integer (FIPS 186-5 §6.4.1): for P-384 the
 * zero-padded 48 bytes give the same integer as the 32-byte SHA-256 digest, so the result verifies as
 * ECDSA-P384 over SHA-256, the scheme the signer uses.
 */
export function sha256DigestForP384(digest: Uint8Array): Uint8Array {
  const padded = new Uint8Array(48)
  padded.set(digest, 16)
  return padded
}
