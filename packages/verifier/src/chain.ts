import { fail } from './errors.js'
import { type CertificateAuthority, checkAuthorityChain, within } from './trust-root.js'
import { isIssuedBy, type ParsedCertificate } from './x509.js'

const OID_EXTENDED_KEY_USAGE = '2.5.29.37'
const CODE_SIGNING_EKU_DER = Buffer.from('06082b06010505070303', 'hex')

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
 * Verifies that `leaf` chains to a trusted certificate authority valid at every one of `times`
 * (epoch ms), that each certificate of the path is valid at those times, intermediates are CAs
 * within their path length, and the leaf may sign code.
 * @throws VerifierError `VERIFIER_UNTRUSTED_CHAIN` or `VERIFIER_CERTIFICATE_EXPIRED`.
 */
export function verifyCertificateChain(
  leaf: ParsedCertificate,
  authorities: CertificateAuthority[],
  times: number[],
  cache?: ChainCache,
): ChainResult {
  const eku = leaf.extensions.find((extension) => extension.oid === OID_EXTENDED_KEY_USAGE)
  if (eku && !Buffer.from(eku.value).includes(CODE_SIGNING_EKU_DER)) {
    fail('VERIFIER_UNTRUSTED_CHAIN', 'signing certificate is not valid for code signing')
  }
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
  for (let position = 1; position < path.length; position++) {
    const certificate = path[position]!
    if (!certificate.isCA) fail('VERIFIER_UNTRUSTED_CHAIN', 'an issuing certificate is not a CA')
    // pathLen counts the intermediates that may follow below this CA (leaf excluded).
    if (certificate.pathLength !== undefined && certificate.pathLength < position - 1) {
      fail('VERIFIER_UNTRUSTED_CHAIN', 'path length constraint exceeded')
    }
  }
  for (const at of times) {
    for (const certificate of path) {
      if (at < certificate.notBefore || at > certificate.notAfter) {
        fail(
          'VERIFIER_CERTIFICATE_EXPIRED',
          `${certificate === leaf ? 'signing' : 'issuing'} certificate was not valid at ${new Date(at).toISOString()}`,
        )
      }
    }
  }
  return { authority, path }
}
