import type { KeyObject } from 'node:crypto'
import { fail } from './errors.js'
import { type PublicKeyInput, toPublicKey } from './keys.js'
import type { HashAlgorithm } from './signatures.js'

/**
 * The `PublicKeyDetails` names (protobuf-specs `sigstore_common.proto`) a Rekor v2 verifier carries. The
 * `PKIX_ECDSA_P384_SHA_256` / `P521_SHA_256` pair is deprecated upstream but is what a P-384/P-521 key signing
 * SHA-256 digests (as @sigstore/verify expects) must declare.
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

/** The digest each key-details value signs; undefined = pure Ed25519, which signs the message itself. */
export const KEY_DETAILS_HASH: Readonly<Record<PublicKeyDetails, HashAlgorithm | undefined>> = {
  PKIX_ECDSA_P256_SHA_256: 'sha256',
  PKIX_ECDSA_P384_SHA_384: 'sha384',
  PKIX_ECDSA_P521_SHA_512: 'sha512',
  PKIX_ECDSA_P384_SHA_256: 'sha256',
  PKIX_ECDSA_P521_SHA_256: 'sha256',
  PKIX_RSA_PKCS1V15_2048_SHA256: 'sha256',
  PKIX_RSA_PKCS1V15_3072_SHA256: 'sha256',
  PKIX_RSA_PKCS1V15_4096_SHA256: 'sha256',
  PKIX_RSA_PSS_2048_SHA256: 'sha256',
  PKIX_RSA_PSS_3072_SHA256: 'sha256',
  PKIX_RSA_PSS_4096_SHA256: 'sha256',
  PKIX_ED25519: undefined,
  PKIX_ED25519_PH: 'sha512',
}

/** Options of {@link keyDetailsFor}. */
export interface KeyDetailsOptions {
  /** The digest the signature was made over. @default 'sha256' (what this repository's signer uses for every ECDSA and RSA key) */
  hash?: HashAlgorithm
  /** RSA keys: the signature is RSASSA-PSS rather than PKCS#1 v1.5 (`rsa-pss` keys always are). @default false */
  rsaPss?: boolean
  /** Ed25519 keys: the signature is Ed25519ph over a SHA-512 digest. @default false */
  prehash?: boolean
}

const CURVES: Record<string, Partial<Record<HashAlgorithm, PublicKeyDetails>>> = {
  prime256v1: { sha256: 'PKIX_ECDSA_P256_SHA_256' },
  secp384r1: { sha384: 'PKIX_ECDSA_P384_SHA_384', sha256: 'PKIX_ECDSA_P384_SHA_256' },
  secp521r1: { sha512: 'PKIX_ECDSA_P521_SHA_512', sha256: 'PKIX_ECDSA_P521_SHA_256' },
}

function rsaDetails(key: KeyObject, hash: HashAlgorithm, pss: boolean): PublicKeyDetails {
  const bits = key.asymmetricKeyDetails?.modulusLength
  if (bits !== 2048 && bits !== 3072 && bits !== 4096) {
    fail('REKOR_INVALID_INPUT', `Rekor v2 accepts RSA keys of 2048, 3072 or 4096 bits, not ${String(bits)}`)
  }
  if (hash !== 'sha256')
    fail('REKOR_INVALID_INPUT', `Rekor v2 RSA key details exist for SHA-256 only, not ${hash}`)
  return `PKIX_RSA_${pss ? 'PSS' : 'PKCS1V15'}_${bits}_SHA256` as PublicKeyDetails
}

/**
 * The Rekor v2 `keyDetails` of a key (a KeyObject, PEM public key or PEM certificate) signing with `hash`.
 * @example keyDetailsFor(pem, { hash: 'sha384' }) // 'PKIX_ECDSA_P384_SHA_384' for a P-384 key
 * @throws RekorError `REKOR_INVALID_INPUT` for a curve, RSA size or hash Rekor v2 has no name for;
 * `REKOR_KEY_INVALID` for unusable key material.
 */
export function keyDetailsFor(key: PublicKeyInput, options: KeyDetailsOptions = {}): PublicKeyDetails {
  const publicKey = toPublicKey(key)
  const hash = options.hash ?? 'sha256'
  switch (publicKey.asymmetricKeyType) {
    case 'ec': {
      const curve = publicKey.asymmetricKeyDetails?.namedCurve ?? ''
      const details = CURVES[curve]?.[hash]
      if (!details) fail('REKOR_INVALID_INPUT', `no Rekor v2 key details for ECDSA ${curve} with ${hash}`)
      return details
    }
    case 'rsa':
      return rsaDetails(publicKey, hash, options.rsaPss ?? false)
    case 'rsa-pss':
      return rsaDetails(publicKey, hash, true)
    case 'ed25519':
      return options.prehash ? 'PKIX_ED25519_PH' : 'PKIX_ED25519'
    default:
      return fail(
        'REKOR_INVALID_INPUT',
        `no Rekor v2 key details for ${String(publicKey.asymmetricKeyType)} keys`,
      )
  }
}
