import { defineErrorClass } from '@certus-trust/core'

/** Stable codes of {@link ServerError}. Codes are API: adding one is minor, renaming is major. */
export type ServerErrorCode =
  | 'SERVER_CONFIG_INVALID'
  | 'SERVER_BAD_REQUEST'
  | 'SERVER_INVALID_JSON'
  | 'SERVER_UNSUPPORTED_MEDIA_TYPE'
  | 'SERVER_PAYLOAD_TOO_LARGE'
  | 'SERVER_UNAUTHORIZED'
  | 'SERVER_FORBIDDEN'
  | 'SERVER_RATE_LIMITED'
  | 'SERVER_NOT_FOUND'
  | 'SERVER_IDEMPOTENCY_CONFLICT'
  | 'SERVER_FEATURE_DISABLED'
  | 'SERVER_UPSTREAM_FAILED'
  | 'SERVER_UPSTREAM_TIMEOUT'
  | 'SERVER_UNAVAILABLE'
  | 'SERVER_NOT_READY'
  | 'SERVER_CLOSED'
  | 'SERVER_INTERNAL'

/**
 * The server's one error class. HTTP status is derived from the code's category by `statusForCategory`.
 *
 * @example
 * throw new ServerError({ code: 'SERVER_NOT_FOUND', message: 'no transparency entry with that id' })
 */
// The explicit annotation lets declaration emit name the base type (core's marker symbol is module-private).
const ServerErrorBase: ReturnType<typeof defineErrorClass<ServerErrorCode>> =
  defineErrorClass<ServerErrorCode>('ServerError', {
    SERVER_CONFIG_INVALID: 'invalid_config',
    SERVER_BAD_REQUEST: 'invalid_input',
    SERVER_INVALID_JSON: 'invalid_input',
    SERVER_UNSUPPORTED_MEDIA_TYPE: 'invalid_input',
    SERVER_PAYLOAD_TOO_LARGE: 'too_large',
    SERVER_UNAUTHORIZED: 'unauthorized',
    SERVER_FORBIDDEN: 'forbidden',
    SERVER_RATE_LIMITED: 'rate_limited',
    SERVER_NOT_FOUND: 'not_found',
    SERVER_IDEMPOTENCY_CONFLICT: 'conflict',
    SERVER_FEATURE_DISABLED: 'unsupported',
    SERVER_UPSTREAM_FAILED: 'upstream_failure',
    SERVER_UPSTREAM_TIMEOUT: 'unavailable',
    SERVER_UNAVAILABLE: 'unavailable',
    SERVER_NOT_READY: 'unavailable',
    SERVER_CLOSED: 'unavailable',
    SERVER_INTERNAL: 'internal',
  })
export class ServerError extends ServerErrorBase {}
