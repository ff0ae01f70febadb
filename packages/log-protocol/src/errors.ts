import { defineErrorClass } from '@certus-trust/core'

/**
 * Every code a {@link RekorError} can carry. Codes are API: adding one is minor, renaming is major.
 *
 * HTTP: `REKOR_NOT_FOUND` (404), `REKOR_CONFLICT` (409, details.location / details.uuid name the existing entry),
 * `REKOR_INVALID_REQUEST` (400/422), `REKOR_RATE_LIMITED` (429), `REKOR_SERVER_ERROR` (5xx), `REKOR_HTTP` (any other
 * non-2xx), `REKOR_TIMEOUT`, `REKOR_NETWORK`, `REKOR_ABORTED`, `REKOR_RESPONSE_INVALID` (details.field names the field).
 * Offline checks: `REKOR_INCLUSION_PROOF_INVALID`, `REKOR_CONSISTENCY_PROOF_INVALID`, `REKOR_CHECKPOINT_INVALID`,
 * `REKOR_CHECKPOINT_SIGNATURE_INVALID`, `REKOR_SET_INVALID`, `REKOR_BODY_INVALID`, `REKOR_BODY_MISMATCH`,
 * `REKOR_SIGNATURE_INVALID` (the entry body's own signature), `REKOR_ENTRY_INVALID` (entry fields disagree with each
 * other), `REKOR_INVALID_INPUT` (a caller passed something unusable), `REKOR_KEY_INVALID`.
 */
export type RekorErrorCode =
  | 'REKOR_NOT_FOUND'
  | 'REKOR_CONFLICT'
  | 'REKOR_INVALID_REQUEST'
  | 'REKOR_RATE_LIMITED'
  | 'REKOR_SERVER_ERROR'
  | 'REKOR_HTTP'
  | 'REKOR_TIMEOUT'
  | 'REKOR_NETWORK'
  | 'REKOR_ABORTED'
  | 'REKOR_RESPONSE_INVALID'
  | 'REKOR_INCLUSION_PROOF_INVALID'
  | 'REKOR_CONSISTENCY_PROOF_INVALID'
  | 'REKOR_CHECKPOINT_INVALID'
  | 'REKOR_CHECKPOINT_SIGNATURE_INVALID'
  | 'REKOR_SET_INVALID'
  | 'REKOR_BODY_INVALID'
  | 'REKOR_BODY_MISMATCH'
  | 'REKOR_SIGNATURE_INVALID'
  | 'REKOR_ENTRY_INVALID'
  | 'REKOR_INVALID_INPUT'
  | 'REKOR_KEY_INVALID'

/**
 * The one error class of `@certus-trust/rekor`. Use `RekorError.is(error, 'REKOR_NOT_FOUND')` rather than
 * `instanceof`: it works across duplicate (ESM + CJS) copies of the package.
 */
// The explicit annotation lets declaration emit name the base type (core's marker symbol is module-private).
const RekorErrorBase: ReturnType<typeof defineErrorClass<RekorErrorCode>> = defineErrorClass<RekorErrorCode>(
  'RekorError',
  {
    REKOR_NOT_FOUND: 'not_found',
    REKOR_CONFLICT: 'conflict',
    // Rekor refused what we sent: from our caller's side, the log failed the request.
    REKOR_INVALID_REQUEST: 'upstream_failure',
    // Rekor throttling us (not our caller): retry later.
    REKOR_RATE_LIMITED: 'unavailable',
    REKOR_SERVER_ERROR: 'upstream_failure',
    REKOR_HTTP: 'upstream_failure',
    REKOR_TIMEOUT: 'unavailable',
    REKOR_NETWORK: 'unavailable',
    REKOR_ABORTED: 'unavailable',
    REKOR_RESPONSE_INVALID: 'upstream_failure',
    // Offline checks: a proof, checkpoint, SET or signature was checked and rejected.
    REKOR_INCLUSION_PROOF_INVALID: 'verification_failed',
    REKOR_CONSISTENCY_PROOF_INVALID: 'verification_failed',
    REKOR_CHECKPOINT_INVALID: 'verification_failed',
    REKOR_CHECKPOINT_SIGNATURE_INVALID: 'verification_failed',
    REKOR_SET_INVALID: 'verification_failed',
    REKOR_BODY_INVALID: 'invalid_input',
    REKOR_BODY_MISMATCH: 'verification_failed',
    REKOR_SIGNATURE_INVALID: 'verification_failed',
    REKOR_ENTRY_INVALID: 'verification_failed',
    REKOR_INVALID_INPUT: 'invalid_input',
    REKOR_KEY_INVALID: 'invalid_input',
  },
)
export class RekorError extends RekorErrorBase {
  /**
   * Throws a RekorError with `code`, `message`, optional `details` and `cause`: one line at each call site here and in
   * the packages that throw this class (the Rekor clients, the service's record model).
   */
  static fail(
    code: RekorErrorCode,
    message: string,
    details?: Record<string, unknown>,
    cause?: unknown,
  ): never {
    throw new RekorError({
      code,
      message,
      ...(details ? { details } : {}),
      ...(cause === undefined ? {} : { cause }),
    })
  }
}

/** Throws a RekorError; keeps call sites one line. */
export const fail: typeof RekorError.fail = RekorError.fail
