import { CertusError, categoryOf, type ErrorCategory } from '@certus-trust/core'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The JSON error body every non-2xx response carries. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> | undefined }
}

/**
 * The one table from error category to HTTP status: every code's status derives from its category (declared in
 * the table of the package that owns the code), so the server and the CLI's exit statuses never disagree.
 */
const STATUS_BY_CATEGORY: Readonly<Record<ErrorCategory, ContentfulStatusCode>> = Object.freeze({
  invalid_input: 400,
  // The server's own configuration (a key, a file, an option) is the operator's problem, not the client's.
  invalid_config: 500,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  unsupported: 501,
  unavailable: 503,
  upstream_failure: 502,
  internal: 500,
  // What POST /v1/verify answers for a bundle it cannot verify at all (a verdict on a bundle is 200, valid: false).
  verification_failed: 422,
})

/**
 * The HTTP status of an error category: `invalid_input` 400, `not_found` 404, `conflict` 409, `too_large` 413,
 * `unauthorized` 401, `forbidden` 403, `rate_limited` 429, `unsupported` 501, `unavailable` 503,
 * `upstream_failure` 502, `verification_failed` 422, `invalid_config` and `internal` 500.
 */
export function statusForCategory(category: ErrorCategory): ContentfulStatusCode {
  return STATUS_BY_CATEGORY[category]
}

/** The HTTP status of any thrown value, from its category ({@link categoryOf}: non-Certus errors are 500). */
export function statusForError(error: unknown): ContentfulStatusCode {
  return statusForCategory(categoryOf(error))
}

const INTERNAL_MESSAGE = 'internal error; see the server log with this request id'

/**
 * Turns any thrown value into a status and a safe body. Messages of typed errors are sent (they never carry
 * secrets, by contract); for 500s only a generic message is sent. `cause` is never sent.
 */
export function toErrorResponse(error: unknown): { status: ContentfulStatusCode; body: ErrorBody } {
  const status = statusForError(error)
  if (!CertusError.isCertusError(error)) {
    return { status, body: { error: { code: 'SERVER_INTERNAL', message: INTERNAL_MESSAGE } } }
  }
  const details = status === 500 ? undefined : safeDetails(error.details)
  return {
    status,
    body: {
      error: {
        code: error.code,
        message: status === 500 ? INTERNAL_MESSAGE : error.message,
        ...(details ? { details } : {}),
      },
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
