import { createPublicKey, type KeyObject } from 'node:crypto'
import { type FulcioExtensions, identityNames, type SubjectAltNames } from '@certus-trust/core/x509'
import { fail, VerifierError } from './errors.js'

/**
 * Who must have signed, for keyless (certificate) bundles. Give `identity` (exact SAN) or
 * `identityRegex` (a RegExp, or a string matched against the whole SAN), and `issuer` (exact OIDC
 * issuer). `extensions` adds exact checks on Fulcio certificate extensions, e.g.
 * `{ githubWorkflowRepository: 'org/repo', sourceRepositoryRef: 'refs/heads/main' }`.
 */
export interface CertificateIdentityPolicy {
  /**
   * Exact subject alternative name (URI, email or Fulcio username). Any one identity SAN of the certificate may
   * match; dNSName entries never do.
   */
  identity?: string
  /**
   * A RegExp tested against each identity SAN, or a string compiled as `^(?:…)$` (whole-SAN match). With
   * `identity` as well, both must hold for the same SAN.
   */
  identityRegex?: string | RegExp
  /** Exact OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8, or the deprecated …1.1). */
  issuer?: string
  /** Exact values required for Fulcio extensions. */
  extensions?: Partial<FulcioExtensions>
  /**
   * Accept any certificate identity (still requiring a trusted chain). Off by default so that an
   * empty policy never silently accepts anyone.
   * @default false
   */
  allowAnyIdentity?: boolean
}

/** A managed key: the bundle must be signed by this key (no certificate). */
export interface PublicKeyPolicy {
  /** PEM (SPKI), DER SPKI bytes, or a node KeyObject. */
  publicKey: string | Uint8Array | KeyObject
  /** Optional validity window of the key; every verified timestamp must fall inside it. */
  validFor?: { start?: Date; end?: Date }
}

/** A verification policy: a certificate identity or a managed public key. */
export type VerificationPolicy = CertificateIdentityPolicy | PublicKeyPolicy

/** True for a {@link PublicKeyPolicy}. */
export function isPublicKeyPolicy(policy: VerificationPolicy): policy is PublicKeyPolicy {
  return (
    typeof policy === 'object' && policy !== null && 'publicKey' in policy && policy.publicKey !== undefined
  )
}

/** Imports a policy key (PEM, DER SPKI, KeyObject). */
export function importPolicyKey(key: PublicKeyPolicy['publicKey']): KeyObject {
  try {
    if (typeof key === 'string') return createPublicKey(key)
    if (key instanceof Uint8Array)
      return createPublicKey({ key: Buffer.from(key), format: 'der', type: 'spki' })
    if (typeof key === 'object' && key !== null && (key as KeyObject).type === 'public')
      return key as KeyObject
    if (typeof key === 'object' && key !== null && (key as KeyObject).type === 'private')
      return createPublicKey(key as KeyObject)
  } catch (error) {
    fail('VERIFIER_INVALID_POLICY', 'policy public key could not be imported', error)
  }
  return fail('VERIFIER_INVALID_POLICY', 'policy public key must be PEM, DER SPKI or a KeyObject')
}

/** Validates a policy's shape up front so mistakes are typed errors, not surprises later. */
export function validatePolicy(policy: unknown): VerificationPolicy {
  if (typeof policy !== 'object' || policy === null)
    fail('VERIFIER_INVALID_POLICY', 'a verification policy is required')
  const value = policy as Record<string, unknown>
  if (value.publicKey !== undefined) return value as unknown as PublicKeyPolicy
  for (const field of ['identity', 'issuer'] as const) {
    if (value[field] !== undefined && typeof value[field] !== 'string')
      fail('VERIFIER_INVALID_POLICY', `policy.${field} must be a string`)
  }
  if (
    value.identityRegex !== undefined &&
    typeof value.identityRegex !== 'string' &&
    !(value.identityRegex instanceof RegExp)
  ) {
    fail('VERIFIER_INVALID_POLICY', 'policy.identityRegex must be a string or RegExp')
  }
  if (value.extensions !== undefined && (typeof value.extensions !== 'object' || value.extensions === null)) {
    fail('VERIFIER_INVALID_POLICY', 'policy.extensions must be an object')
  }
  const hasIdentity = value.identity !== undefined || value.identityRegex !== undefined
  if (!value.allowAnyIdentity && (!hasIdentity || value.issuer === undefined)) {
    fail(
      'VERIFIER_INVALID_POLICY',
      'a certificate policy needs identity (or identityRegex) and issuer, or allowAnyIdentity: true',
    )
  }
  return value as CertificateIdentityPolicy
}

function compileRegex(pattern: string | RegExp): RegExp {
  if (pattern instanceof RegExp) return pattern
  try {
    return new RegExp(`^(?:${pattern})$`)
  } catch (error) {
    throw new VerifierError({
      code: 'VERIFIER_INVALID_POLICY',
      message: 'policy.identityRegex is not a valid regular expression',
      cause: error,
    })
  }
}

function matchIdentity(policy: CertificateIdentityPolicy, candidates: string[]): string | undefined {
  const regex = policy.identityRegex === undefined ? undefined : compileRegex(policy.identityRegex)
  // Every identity SAN is asserted by the CA alike, so any one of them may satisfy the policy (as in cosign);
  // no standard gives the first one a special meaning. The one that matched is reported as the signer.
  return candidates.find((name) => {
    if (policy.identity !== undefined && name !== policy.identity) return false
    if (!regex) return true
    regex.lastIndex = 0
    return regex.test(name)
  })
}

/**
 * Checks a certificate's identity against the policy: `identity` and `identityRegex` must both hold for one and
 * the same identity SAN ({@link identityNames}); `issuer` and `extensions` must equal the Fulcio extensions.
 * @returns the SAN that satisfied the policy (the first identity SAN under `allowAnyIdentity`).
 * @throws VerifierError `VERIFIER_IDENTITY_MISMATCH`.
 */
export function checkIdentity(
  policy: CertificateIdentityPolicy,
  names: SubjectAltNames,
  extensions: FulcioExtensions,
): string | undefined {
  const candidates = identityNames(names)
  let matched = candidates[0]
  if (policy.identity !== undefined || policy.identityRegex !== undefined) {
    matched = matchIdentity(policy, candidates)
    if (matched === undefined) {
      const wanted =
        policy.identity !== undefined ? JSON.stringify(policy.identity) : String(policy.identityRegex)
      fail(
        'VERIFIER_IDENTITY_MISMATCH',
        `no certificate identity (${candidates.map((name) => JSON.stringify(name)).join(', ') || 'none'}) matches ${wanted}`,
      )
    }
  }
  if (policy.issuer !== undefined && extensions.issuer !== policy.issuer) {
    fail(
      'VERIFIER_IDENTITY_MISMATCH',
      `certificate issuer ${JSON.stringify(extensions.issuer ?? '')} does not match ${JSON.stringify(policy.issuer)}`,
    )
  }
  for (const [name, expected] of Object.entries(policy.extensions ?? {})) {
    if (expected === undefined) continue
    const actual = extensions[name as keyof FulcioExtensions]
    if (actual !== expected) {
      fail(
        'VERIFIER_IDENTITY_MISMATCH',
        `certificate extension ${name} is ${JSON.stringify(actual ?? null)}, expected ${JSON.stringify(expected)}`,
      )
    }
  }
  return matched
}
