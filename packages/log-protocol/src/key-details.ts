import {
  findKeyDetails,
  KEY_DETAILS_RULES,
  type PublicKeyDetails,
  type SigstoreHash,
} from '@certus-trust/core'
import type { HashAlgorithm } from '@certus-trust/core/signing'
import { fail } from './errors.js'
import { type PublicKeyInput, toPublicKey } from './keys.js'

export type { PublicKeyDetails } from '@certus-trust/core'

/** The digest each key-details value signs; undefined = pure Ed25519, which signs the message itself. */
export const KEY_DETAILS_HASH: Readonly<Record<PublicKeyDetails, HashAlgorithm | undefined>> = Object.freeze(
  Object.fromEntries(Object.entries(KEY_DETAILS_RULES).map(([name, rule]) => [name, rule.hash])) as Record<
    PublicKeyDetails,
    SigstoreHash | undefined
  >,
)

/** Options of {@link keyDetailsFor}. */
export interface KeyDetailsOptions {
  /** The digest the signature was made over. @default 'sha256' (what this repository's signer uses for every ECDSA and RSA key) */
  hash?: HashAlgorithm
  /** RSA keys: the signature is RSASSA-PSS rather than PKCS#1 v1.5 (`rsa-pss` keys always are). @default false */
  rsaPss?: boolean
  /** Ed25519 keys: the signature is Ed25519ph over a SHA-512 digest. @default false */
  prehash?: boolean
}

/**
 * The Rekor v2 `keyDetails` of a key (a KeyObject, PEM public key or PEM certificate) signing with `hash`: core's
 * one key-details table read from the key's side.
 * @example keyDetailsFor(pem, { hash: 'sha384' }) // 'PKIX_ECDSA_P384_SHA_384' for a P-384 key
 * @throws RekorError `REKOR_INVALID_INPUT` for a curve, RSA size or hash Rekor v2 has no name for;
 * `REKOR_KEY_INVALID` for unusable key material.
 */
export function keyDetailsFor(key: PublicKeyInput, options: KeyDetailsOptions = {}): PublicKeyDetails {
  const publicKey = toPublicKey(key)
  const type = publicKey.asymmetricKeyType
  const hash = options.hash ?? 'sha256'
  if (type === 'ed25519') return options.prehash ? 'PKIX_ED25519_PH' : 'PKIX_ED25519'
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = publicKey.asymmetricKeyDetails?.modulusLength
    if (bits !== 2048 && bits !== 3072 && bits !== 4096)
      fail('REKOR_INVALID_INPUT', `Rekor v2 accepts RSA keys of 2048, 3072 or 4096 bits, not ${String(bits)}`)
    if (hash !== 'sha256')
      fail('REKOR_INVALID_INPUT', `Rekor v2 RSA key details exist for SHA-256 only, not ${hash}`)
  }
  const details =
    type === 'ec' || type === 'rsa' || type === 'rsa-pss'
      ? findKeyDetails(publicKey, { hash, rsaPss: options.rsaPss })
      : undefined
  if (!details) {
    const curve = publicKey.asymmetricKeyDetails?.namedCurve
    return fail(
      'REKOR_INVALID_INPUT',
      `no Rekor v2 key details for ${type === 'ec' ? `ECDSA ${curve ?? ''}` : String(type)} with ${hash}`,
    )
  }
  return details
}
