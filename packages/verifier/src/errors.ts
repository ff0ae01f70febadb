import { defineErrorClass } from '@certus-trust/core'
import { RekorError } from '@certus-trust/log-protocol'

/**
 * Stable codes of {@link VerifierError}. Each names the check that failed. Codes are API: adding one is a
 * minor change, renaming one is a major change.
 */
export type VerifierErrorCode =
  /** The bundle is not valid JSON or not a well-formed Sigstore bundle (v0.1–v0.3). */
  | 'VERIFIER_MALFORMED_BUNDLE'
  /** The bundle's media type names a version we do not know. */
  | 'VERIFIER_UNSUPPORTED_BUNDLE'
  /** The trusted root JSON is malformed (e.g. a validity window without a start). */
  | 'VERIFIER_MALFORMED_TRUSTED_ROOT'
  /** The trusted root could not be loaded (file unreadable, TUF refresh failed, staging offline). */
  | 'VERIFIER_TRUST_ROOT_UNAVAILABLE'
  /** The artifact signature (message signature or DSSE envelope signature) does not verify. */
  | 'VERIFIER_SIGNATURE_MISMATCH'
  /** The artifact (bytes or digest) does not match the bundle's digest or any DSSE subject. */
  | 'VERIFIER_ARTIFACT_MISMATCH'
  /** The artifact input is unusable (missing file, unsupported digest algorithm for this bundle). */
  | 'VERIFIER_INVALID_ARTIFACT'
  /** The signing certificate does not chain to a certificate authority trusted at signing time. */
  | 'VERIFIER_UNTRUSTED_CHAIN'
  /** The signing certificate was not valid at the verified signing time. */
  | 'VERIFIER_CERTIFICATE_EXPIRED'
  /** No signed certificate timestamp from a trusted CT log verifies. */
  | 'VERIFIER_SCT_INVALID'
  /** The transparency log entry carries neither a usable inclusion proof nor a signed entry timestamp. */
  | 'VERIFIER_TLOG_ENTRY_MISSING'
  /** The entry names a log that is not in the trusted root (or not valid at that time). */
  | 'VERIFIER_UNTRUSTED_LOG'
  /** The Merkle inclusion proof does not lead to the checkpoint's root. */
  | 'VERIFIER_INCLUSION_PROOF_INVALID'
  /** The checkpoint (signed tree head) is malformed or not signed by the trusted log. */
  | 'VERIFIER_CHECKPOINT_SIGNATURE_INVALID'
  /** The signed entry timestamp (inclusion promise) does not verify. */
  | 'VERIFIER_SET_INVALID'
  /** The log entry body does not match the bundle's signature, key/certificate or digest. */
  | 'VERIFIER_TLOG_BODY_MISMATCH'
  /** No trusted timestamp (SET-backed integrated time or RFC 3161 token) is available, or one is invalid. */
  | 'VERIFIER_TIMESTAMP_INVALID'
  /** The signer identity (SAN, issuer, Fulcio extensions) does not satisfy the policy. */
  | 'VERIFIER_IDENTITY_MISMATCH'
  /** The bundle's key material does not fit the policy (key bundle with identity policy, wrong key…). */
  | 'VERIFIER_KEY_MISMATCH'
  /** The policy or options object is invalid. */
  | 'VERIFIER_INVALID_POLICY'
  /** The optional online check found the entry missing or different in the named Rekor. */
  | 'VERIFIER_ONLINE_CHECK_FAILED'
  /** A feature the bundle needs is not supported (e.g. Ed25519 message signature with a digest only). */
  | 'VERIFIER_UNSUPPORTED'

/**
 * The one error class of `@certus-trust/verifier`. `code` names the failed check; `details.check`
 * repeats it in words; `cause` carries the lower-level error when there is one.
 *
 * @example
 * if (VerifierError.is(error, 'VERIFIER_IDENTITY_MISMATCH')) console.error('signed by someone else')
 */
// Typed through ReturnType so the declaration build does not need core's private marker symbol.
const VerifierErrorBase: ReturnType<typeof defineErrorClass<VerifierErrorCode>> =
  defineErrorClass<VerifierErrorCode>('VerifierError', {
    // A bundle that is not a (known) bundle is rejected like any other bad bundle (HTTP 422, exit 1).
    VERIFIER_MALFORMED_BUNDLE: 'verification_failed',
    VERIFIER_UNSUPPORTED_BUNDLE: 'verification_failed',
    VERIFIER_MALFORMED_TRUSTED_ROOT: 'invalid_input',
    VERIFIER_TRUST_ROOT_UNAVAILABLE: 'unavailable',
    VERIFIER_SIGNATURE_MISMATCH: 'verification_failed',
    VERIFIER_ARTIFACT_MISMATCH: 'verification_failed',
    VERIFIER_INVALID_ARTIFACT: 'invalid_input',
    VERIFIER_UNTRUSTED_CHAIN: 'verification_failed',
    VERIFIER_CERTIFICATE_EXPIRED: 'verification_failed',
    VERIFIER_SCT_INVALID: 'verification_failed',
    VERIFIER_TLOG_ENTRY_MISSING: 'verification_failed',
    VERIFIER_UNTRUSTED_LOG: 'verification_failed',
    VERIFIER_INCLUSION_PROOF_INVALID: 'verification_failed',
    VERIFIER_CHECKPOINT_SIGNATURE_INVALID: 'verification_failed',
    VERIFIER_SET_INVALID: 'verification_failed',
    VERIFIER_TLOG_BODY_MISMATCH: 'verification_failed',
    VERIFIER_TIMESTAMP_INVALID: 'verification_failed',
    VERIFIER_IDENTITY_MISMATCH: 'verification_failed',
    VERIFIER_KEY_MISMATCH: 'verification_failed',
    VERIFIER_INVALID_POLICY: 'invalid_input',
    VERIFIER_ONLINE_CHECK_FAILED: 'verification_failed',
    // The bundle needs something we cannot check: it is not verified, so it is rejected.
    VERIFIER_UNSUPPORTED: 'verification_failed',
  })

export class VerifierError extends VerifierErrorBase {}

/** Throws a {@link VerifierError}; a small helper so checks read as one line. */
export function fail(
  code: VerifierErrorCode,
  message: string,
  cause?: unknown,
  details?: Record<string, unknown>,
): never {
  throw new VerifierError({ code, message, cause, details })
}

/**
 * Runs a `@certus-trust/log-protocol` check and turns its {@link RekorError} into a {@link VerifierError} with
 * `code` (Rekor's message, the RekorError as `cause`), so callers only ever see verifier codes. Anything else
 * (a bug, not a verdict) propagates unchanged.
 */
export function viaRekor<T>(code: VerifierErrorCode, check: () => T): T {
  try {
    return check()
  } catch (error) {
    if (RekorError.is(error)) return fail(code, error.message, error)
    throw error
  }
}
