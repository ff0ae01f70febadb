import { X509Error, type X509ErrorCode } from '@certus-trust/core/x509'
import { fail, type VerifierErrorCode } from './errors.js'

/** Where a certificate came from: the bundle's signing certificate, the trusted root, or a validated path. */
export type CertificateSource = 'bundle' | 'trusted-root' | 'path'

// Bytes that are not a certificate at all are a malformed input; a well-formed certificate that breaks an RFC 5280
// or Fulcio-profile rule is one no path may be built through.
const UNDECODABLE: ReadonlySet<X509ErrorCode> = new Set(['X509_MALFORMED', 'X509_MALFORMED_EXTENSION'])

/**
 * The verifier code for a core {@link X509Error}: an unusable trusted root is `VERIFIER_MALFORMED_TRUSTED_ROOT`
 * whatever the rule; an undecodable bundle certificate `VERIFIER_MALFORMED_BUNDLE`; a certificate not valid at the
 * signing time `VERIFIER_CERTIFICATE_EXPIRED`; every other rule `VERIFIER_UNTRUSTED_CHAIN`.
 */
export function verifierCodeFor(code: X509ErrorCode, source: CertificateSource): VerifierErrorCode {
  if (source === 'trusted-root') return 'VERIFIER_MALFORMED_TRUSTED_ROOT'
  if (UNDECODABLE.has(code)) return 'VERIFIER_MALFORMED_BUNDLE'
  if (code === 'X509_NOT_VALID_AT_TIME') return 'VERIFIER_CERTIFICATE_EXPIRED'
  return 'VERIFIER_UNTRUSTED_CHAIN'
}

/**
 * Runs a core X.509 step and turns its {@link X509Error} into a VerifierError (message prefixed with `context`,
 * `details.x509Code` naming the rule, the X509Error as `cause`). Anything else propagates unchanged.
 */
export function viaX509<T>(source: CertificateSource, context: string, step: () => T): T {
  try {
    return step()
  } catch (error) {
    if (!X509Error.is(error)) throw error
    return fail(verifierCodeFor(error.code, source), `${context}: ${error.message}`, error, {
      x509Code: error.code,
      ...error.details,
    })
  }
}
