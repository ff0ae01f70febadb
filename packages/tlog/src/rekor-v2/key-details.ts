import { KEY_DETAILS_RULES, type KeyDetailsRule, type PublicKeyDetails } from '@certus-trust/core'

/**
 * The `PublicKeyDetails` names a new Rekor v2 entry may carry: core's table without the deprecated names. Pure
 * Ed25519 cannot be checked over a bare digest, so a hashedrekord needs PKIX_ED25519_PH (a SHA-512 digest).
 */
export const KEY_DETAILS = (Object.keys(KEY_DETAILS_RULES) as PublicKeyDetails[]).filter(
  (name) => !KEY_DETAILS_RULES[name].deprecated,
) as [PublicKeyDetails, ...PublicKeyDetails[]]

/** A name Rekor v2 accepts, with its rule; `hash` is the digest a hashedrekord or DSSE signature uses. */
export interface AcceptedKeyDetails extends Readonly<KeyDetailsRule> {
  hash: NonNullable<KeyDetailsRule['hash']>
  /** Whether a hashedrekord (a signature over a bare digest) may use it. */
  digestSignatures: boolean
}

/**
 * The rule of an accepted name. Pure Ed25519 signs a DSSE envelope's PAE itself (verified as SHA-512 by
 * node:crypto's Ed25519), never a bare digest.
 */
export function acceptedKeyDetails(name: PublicKeyDetails): AcceptedKeyDetails {
  const rule = KEY_DETAILS_RULES[name]
  return { ...rule, hash: rule.hash ?? 'sha512', digestSignatures: rule.hash !== undefined }
}
