import { CertusError } from '@certus-trust/core'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The JSON error body every non-2xx response carries. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> | undefined }
}

/** Statuses of the server's and the service's own codes. */
const OWN_STATUS: Record<string, ContentfulStatusCode> = {
  SERVER_BAD_REQUEST: 400,
  SERVER_INVALID_JSON: 400,
  SERVER_UNSUPPORTED_MEDIA_TYPE: 415,
  SERVER_PAYLOAD_TOO_LARGE: 413,
  SERVER_UNAUTHORIZED: 401,
  SERVER_FORBIDDEN: 403,
  SERVER_RATE_LIMITED: 429,
  SERVER_NOT_FOUND: 404,
  SERVER_IDEMPOTENCY_CONFLICT: 409,
  SERVER_FEATURE_DISABLED: 501,
  SERVER_UPSTREAM_FAILED: 502,
  SERVER_UPSTREAM_TIMEOUT: 504,
  SERVER_UNAVAILABLE: 503,
  SERVER_NOT_READY: 503,
  SERVER_CLOSED: 503,
  SERVER_CONFIG_INVALID: 500,
  SERVER_INTERNAL: 500,
  SERVICE_BAD_REQUEST: 400,
  SERVICE_IDEMPOTENCY_CONFLICT: 409,
  SERVICE_NOT_FOUND: 404,
  SERVICE_FEATURE_DISABLED: 501,
  SERVICE_UNAVAILABLE: 503,
  SERVICE_DATA_DIR: 503,
  SERVICE_CONFIG_INVALID: 500,
  SERVICE_TRUST_ROOT_UNAVAILABLE: 503,
}

/** Codes (from any package) that mean the caller sent something unusable. */
const BAD_INPUT = new Set([
  'CORE_INVALID_DIGEST',
  'SIGNER_INVALID_INPUT',
  'SIGNER_INVALID_DIGEST',
  'STORAGE_INVALID_QUERY',
  'TLOG_ENTRY_INVALID',
  'TLOG_ENTRY_UNSUPPORTED',
  'TLOG_SIGNATURE_INVALID',
  'TLOG_INVALID_REQUEST',
  'TLOG_TIMESTAMP_REQUEST_INVALID',
  'TLOG_TIMESTAMP_UNSUPPORTED',
  'REKOR_INVALID_INPUT',
  'REKOR_BODY_INVALID',
])

/** Codes meaning a dependency (database, remote Rekor/Fulcio/TSA) could not be reached: retry later. */
const UNAVAILABLE = new Set([
  'STORAGE_UNAVAILABLE',
  'STORAGE_CLOSED',
  'STORAGE_BUSY',
  'STORAGE_FULL',
  'TLOG_STORAGE_FAILED',
  'TLOG_CLOSED',
  'SIGNER_WITNESS_UNREACHABLE',
  'SIGNER_FULCIO_UNREACHABLE',
  'REKOR_NETWORK',
  'REKOR_RATE_LIMITED',
  'VERIFIER_TRUST_ROOT_UNAVAILABLE',
])

/** Codes meaning a dependency answered, but wrongly or with a failure. */
const BAD_GATEWAY = new Set([
  'SIGNER_WITNESS_FAILED',
  'SIGNER_WITNESS_RESPONSE_INVALID',
  'SIGNER_FULCIO_FAILED',
  'SIGNER_IDENTITY_TOKEN_INVALID',
])

/**
 * The one table from error codes to HTTP statuses (STYLE.md): `*_NOT_FOUND` → 404, `*_CONFLICT` → 409,
 * bad input → 400, `VERIFIER_*` → 422, unreachable dependencies → 503, `REKOR_TIMEOUT` → 504, other
 * `REKOR_*` → 502, anything else → 500.
 */
export function statusForCode(code: string): ContentfulStatusCode {
  const own = OWN_STATUS[code]
  if (own) return own
  if (BAD_INPUT.has(code)) return 400
  if (code.endsWith('_NOT_FOUND')) return 404
  if (code.endsWith('_CONFLICT')) return 409
  if (UNAVAILABLE.has(code)) return 503
  if (BAD_GATEWAY.has(code)) return 502
  if (code === 'REKOR_TIMEOUT' || code === 'SIGNER_ABORTED' || code === 'TLOG_ABORTED') return 504
  if (code.startsWith('VERIFIER_')) return 422
  if (code === 'SIGNER_DIGEST_ONLY_UNSUPPORTED' || code === 'SIGNER_ARTIFACT_TOO_LARGE') return 422
  if (code.startsWith('REKOR_')) return 502
  return 500
}

/**
 * The signer wraps a key provider's failure in `SIGNER_SIGNING_FAILED`; when that provider is a KMS, its code says
 * whether the service was down (503), slow (504) or answered with a failure (502) — not a bug of ours (500).
 */
function kmsFailureStatus(error: CertusError): ContentfulStatusCode | undefined {
  if (error.code !== 'SIGNER_SIGNING_FAILED') return undefined
  const cause = error.cause
  if (!CertusError.isCertusError(cause) || !cause.code.startsWith('KMS_')) return undefined
  if (cause.code === 'KMS_UNREACHABLE' || cause.code === 'KMS_THROTTLED') return 503
  if (cause.code === 'KMS_TIMEOUT') return 504
  return 502
}

/**
 * Turns any thrown value into a status and a safe body. Messages of typed errors are sent (they never carry
 * secrets, by contract); for 5xx of unknown origin only a generic message is sent. `cause` is never sent.
 */
export function toErrorResponse(error: unknown): { status: ContentfulStatusCode; body: ErrorBody } {
  if (CertusError.isCertusError(error)) {
    const status = kmsFailureStatus(error) ?? statusForCode(error.code)
    const details = safeDetails(error.details)
    return {
      status,
      body: {
        error: {
          code: error.code,
          message: status === 500 ? 'internal error; see the server log with this request id' : error.message,
          ...(status !== 500 && details ? { details } : {}),
        },
      },
    }
  }
  return {
    status: 500,
    body: {
      error: { code: 'SERVER_INTERNAL', message: 'internal error; see the server log with this request id' },
    },
  }
}

/** Keeps only small JSON-safe detail fields (issues, field names, retry hints); drops anything large or odd. */
function safeDetails(details: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!details) return undefined
  const kept: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(details)) {
    if (key === 'cause' || key === 'stack') continue
    try {
      const text = JSON.stringify(value)
      if (text !== undefined && text.length <= 4096) kept[key] = value
    } catch {
      // Unserialisable detail: drop it.
    }
  }
  return Object.keys(kept).length > 0 ? kept : undefined
}
