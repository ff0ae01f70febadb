import type { KeyObject } from 'node:crypto'
import type { HashAlgorithm } from '@certus-trust/rekor'

/** How a protobuf-specs `PublicKeyDetails` value constrains the key and the digest. */
interface KeyDetailsRule {
  /** node:crypto key type. */
  type: 'ec' | 'ed25519' | 'rsa'
  /** EC curve name (node's), or RSA modulus length in bits. */
  curve?: string
  modulusLength?: number
  /** The hash the digest (hashedrekord) or the message signature (DSSE) uses. */
  hash: HashAlgorithm
  /** Whether a hashedrekord (a signature over a bare digest) may use it. */
  digestSignatures: boolean
}

// protobuf-specs sigstore_common.proto PublicKeyDetails (the non-deprecated PKIX_* values Rekor v2 accepts).
// Pure Ed25519 cannot be checked over a bare digest, so hashedrekord needs PKIX_ED25519_PH (SHA-512 digest).
const RULES: Record<string, KeyDetailsRule> = {
  PKIX_ECDSA_P256_SHA_256: { type: 'ec', curve: 'prime256v1', hash: 'sha256', digestSignatures: true },
  PKIX_ECDSA_P384_SHA_384: { type: 'ec', curve: 'secp384r1', hash: 'sha384', digestSignatures: true },
  PKIX_ECDSA_P521_SHA_512: { type: 'ec', curve: 'secp521r1', hash: 'sha512', digestSignatures: true },
  PKIX_ED25519: { type: 'ed25519', hash: 'sha512', digestSignatures: false },
  PKIX_ED25519_PH: { type: 'ed25519', hash: 'sha512', digestSignatures: true },
  PKIX_RSA_PKCS1V15_2048_SHA256: { type: 'rsa', modulusLength: 2048, hash: 'sha256', digestSignatures: true },
  PKIX_RSA_PKCS1V15_3072_SHA256: { type: 'rsa', modulusLength: 3072, hash: 'sha256', digestSignatures: true },
  PKIX_RSA_PKCS1V15_4096_SHA256: { type: 'rsa', modulusLength: 4096, hash: 'sha256', digestSignatures: true },
  PKIX_RSA_PSS_2048_SHA256: { type: 'rsa', modulusLength: 2048, hash: 'sha256', digestSignatures: true },
  PKIX_RSA_PSS_3072_SHA256: { type: 'rsa', modulusLength: 3072, hash: 'sha256', digestSignatures: true },
  PKIX_RSA_PSS_4096_SHA256: { type: 'rsa', modulusLength: 4096, hash: 'sha256', digestSignatures: true },
}

/** The `PublicKeyDetails` names a Rekor v2 request may carry. */
export const KEY_DETAILS = Object.keys(RULES) as [string, ...string[]]

/** The rule of a key details name, or undefined for a name we do not accept. */
export function keyDetailsRule(name: string): KeyDetailsRule | undefined {
  return Object.hasOwn(RULES, name) ? RULES[name] : undefined
}

/** Whether `key` is the kind of key `rule` describes (type, curve, modulus length). */
export function keyMatchesRule(key: KeyObject, rule: KeyDetailsRule): boolean {
  const type = key.asymmetricKeyType === 'rsa-pss' ? 'rsa' : key.asymmetricKeyType
  if (type !== rule.type) return false
  if (rule.curve !== undefined && key.asymmetricKeyDetails?.namedCurve !== rule.curve) return false
  if (rule.modulusLength !== undefined && key.asymmetricKeyDetails?.modulusLength !== rule.modulusLength)
    return false
  return true
}
