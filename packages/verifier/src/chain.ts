import {
  FULCIO_LEAF_PROFILE,
  isIssuedBy,
  type ParsedCertificate,
  validateCertificatePath,
} from '@certus-trust/core/x509'
import { fail } from './errors.js'
import { type CertificateAuthority, checkAuthorityChain, within } from './trust-root.js'
import { viaX509 } from './x509.js'

/** The chain found for a leaf: its authority and the path from leaf to root. */
export interface ChainResult {
  authority: CertificateAuthority
  path: ParsedCertificate[]
}

/**
 * Cache of "this leaf was signed by certificate N of this authority" (the expensive signature check),
 * keyed by leaf fingerprint. Time checks are repeated on every call; only the signature result is reused.
 */
export class ChainCache {
  readonly #entries = new Map<string, { authority: CertificateAuthority; index: number }>()
  constructor(readonly limit = 10_000) {}
  get(key: string) {
    return this.#entries.get(key)
  }
  set(key: string, value: { authority: CertificateAuthority; index: number }) {
    if (this.limit <= 0) return
    if (this.#entries.size >= this.limit) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    this.#entries.set(key, value)
  }
}

function findIssuer(
  leaf: ParsedCertificate,
  authorities: CertificateAuthority[],
  cache: ChainCache | undefined,
) {
  const cached = cache?.get(leaf.fingerprint)
  if (cached && authorities.includes(cached.authority)) return cached
  for (const authority of authorities) {
    for (let index = 0; index < authority.chain.length; index++) {
      if (isIssuedBy(leaf, authority.chain[index]!)) {
        const found = { authority, index }
        cache?.set(leaf.fingerprint, found)
        return found
      }
    }
  }
  return undefined
}

/**
 * Verifies that `leaf` chains to a trusted certificate authority valid at every one of `times` (epoch ms), then
 * validates the path with core's RFC 5280 §6.1 validator under Fulcio's leaf profile: every issuer a CA with
 * keyCertSign (when keyUsage is present) within its path length, the leaf not a CA, with digitalSignature and the
 * codeSigning purpose, and every certificate valid at each time.
 * @throws VerifierError `VERIFIER_UNTRUSTED_CHAIN` or `VERIFIER_CERTIFICATE_EXPIRED` (`details.x509Code` names
 * the rule).
 */
export function verifyCertificateChain(
  leaf: ParsedCertificate,
  authorities: CertificateAuthority[],
  times: number[],
  cache?: ChainCache,
): ChainResult {
  const candidates = authorities.filter((authority) => times.every((at) => within(authority.validFor, at)))
  const found = findIssuer(leaf, candidates, cache)
  if (!found)
    fail(
      'VERIFIER_UNTRUSTED_CHAIN',
      'signing certificate does not chain to a certificate authority trusted at signing time',
    )
  const { authority, index } = found
  if (!checkAuthorityChain(authority))
    fail('VERIFIER_UNTRUSTED_CHAIN', 'trusted certificate authority chain is inconsistent')
  const path = [leaf, ...authority.chain.slice(index)]
  viaX509('path', 'signing certificate path is not valid', () =>
    validateCertificatePath(path, {
      times,
      leaf: FULCIO_LEAF_PROFILE,
      // Every link's signature was verified above (leaf→issuer by findIssuer, cached per leaf; the authority's
      // own links once by checkAuthorityChain): the cached results are what keeps verification at today's speed.
      isIssuedBy: linkVerified,
    }),
  )
  return { authority, path }
}

function linkVerified(): boolean {
  return true
}
