import type { KeyObject } from 'node:crypto'
import type { SigstoreHash } from './hash-names.js'

/**
 * The protobuf-specs `PublicKeyDetails` names (`sigstore_common.proto`) we read and write: trusted roots, Rekor v2
 * verifiers, signing keys. `PKIX_ECDSA_P384_SHA_256` / `P521_SHA_256` are deprecated upstream, but they are what a
 * P-384/P-521 key signing SHA-256 digests (as @sigstore/verify expects) declares.
 */
export type PublicKeyDetails =
  | 'PKIX_ECDSA_P256_SHA_256'
  | 'PKIX_ECDSA_P384_SHA_384'
  | 'PKIX_ECDSA_P521_SHA_512'
  | 'PKIX_ECDSA_P384_SHA_256'
  | 'PKIX_ECDSA_P521_SHA_256'
  | 'PKIX_RSA_PKCS1V15_2048_SHA256'
  | 'PKIX_RSA_PKCS1V15_3072_SHA256'
  | 'PKIX_RSA_PKCS1V15_4096_SHA256'
  | 'PKIX_RSA_PSS_2048_SHA256'
  | 'PKIX_RSA_PSS_3072_SHA256'
  | 'PKIX_RSA_PSS_4096_SHA256'
  | 'PKIX_ED25519'
  | 'PKIX_ED25519_PH'

/** The signing schemes our keys (local and KMS) have; ECDSA and RSA sign SHA-256 digests (docs/decisions/0010-signer-design.md). */
export type SigningKeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519' | 'rsa-pkcs1v15' | 'rsa-pss'

/** The key details a signing key of ours (local or KMS) has: one per key algorithm and size. */
export type SigningKeyDetails = Exclude<
  PublicKeyDetails,
  'PKIX_ECDSA_P521_SHA_512' | 'PKIX_ECDSA_P384_SHA_256' | 'PKIX_ECDSA_P521_SHA_256' | 'PKIX_ED25519_PH'
>

/** What a `PublicKeyDetails` name says about the key and the digest it signs. */
export interface KeyDetailsRule {
  /** node:crypto key type (`rsa-pss` keys count as `rsa`). */
  type: 'ec' | 'ed25519' | 'rsa'
  /** EC curve, node's name. */
  curve?: 'prime256v1' | 'secp384r1' | 'secp521r1'
  /** RSA modulus length in bits. */
  modulusLength?: 2048 | 3072 | 4096
  /** RSA: RSASSA-PSS rather than PKCS#1 v1.5. */
  rsaPss?: boolean
  /** The digest signed; undefined for pure Ed25519, which signs the message itself. */
  hash: SigstoreHash | undefined
  /** Deprecated upstream: read, never accepted in a new Rekor v2 entry. */
  deprecated?: boolean
}

const rsa = (modulusLength: 2048 | 3072 | 4096, rsaPss: boolean): KeyDetailsRule => ({
  type: 'rsa',
  modulusLength,
  rsaPss,
  hash: 'sha256',
})

/** The one table of key details: every other mapping (key → name, name → rule) is derived from it. */
export const KEY_DETAILS_RULES: Readonly<Record<PublicKeyDetails, Readonly<KeyDetailsRule>>> = Object.freeze({
  PKIX_ECDSA_P256_SHA_256: { type: 'ec', curve: 'prime256v1', hash: 'sha256' },
  PKIX_ECDSA_P384_SHA_384: { type: 'ec', curve: 'secp384r1', hash: 'sha384' },
  PKIX_ECDSA_P521_SHA_512: { type: 'ec', curve: 'secp521r1', hash: 'sha512' },
  PKIX_ECDSA_P384_SHA_256: { type: 'ec', curve: 'secp384r1', hash: 'sha256', deprecated: true },
  PKIX_ECDSA_P521_SHA_256: { type: 'ec', curve: 'secp521r1', hash: 'sha256', deprecated: true },
  PKIX_RSA_PKCS1V15_2048_SHA256: rsa(2048, false),
  PKIX_RSA_PKCS1V15_3072_SHA256: rsa(3072, false),
  PKIX_RSA_PKCS1V15_4096_SHA256: rsa(4096, false),
  PKIX_RSA_PSS_2048_SHA256: rsa(2048, true),
  PKIX_RSA_PSS_3072_SHA256: rsa(3072, true),
  PKIX_RSA_PSS_4096_SHA256: rsa(4096, true),
  PKIX_ED25519: { type: 'ed25519', hash: undefined },
  PKIX_ED25519_PH: { type: 'ed25519', hash: 'sha512' },
})

/** The rule of a key details name, or undefined for a name we do not know. */
export function keyDetailsRule(name: string): Readonly<KeyDetailsRule> | undefined {
  return Object.hasOwn(KEY_DETAILS_RULES, name) ? KEY_DETAILS_RULES[name as PublicKeyDetails] : undefined
}

/** Whether `key` is the kind of key `rule` describes (type, curve, modulus length). */
export function keyMatchesKeyDetails(key: KeyObject, rule: Readonly<KeyDetailsRule>): boolean {
  const type = key.asymmetricKeyType === 'rsa-pss' ? 'rsa' : key.asymmetricKeyType
  if (type !== rule.type) return false
  if (rule.curve !== undefined && key.asymmetricKeyDetails?.namedCurve !== rule.curve) return false
  return rule.modulusLength === undefined || key.asymmetricKeyDetails?.modulusLength === rule.modulusLength
}

/**
 * The key details name of a key signing `hash` digests (RSA: `rsaPss` picks PSS; Ed25519: `hash` picks
 * Ed25519ph), preferring a current name over a deprecated one; undefined when no name exists.
 */
export function findKeyDetails(
  key: KeyObject,
  options: { hash: SigstoreHash | undefined; rsaPss?: boolean },
): PublicKeyDetails | undefined {
  const rsaPss = key.asymmetricKeyType === 'rsa-pss' || options.rsaPss === true
  let found: PublicKeyDetails | undefined
  for (const [name, rule] of Object.entries(KEY_DETAILS_RULES) as [PublicKeyDetails, KeyDetailsRule][]) {
    if (rule.hash !== options.hash || !keyMatchesKeyDetails(key, rule)) continue
    if (rule.type === 'rsa' && rule.rsaPss !== rsaPss) continue
    if (!rule.deprecated) return name
    found ??= name
  }
  return found
}
