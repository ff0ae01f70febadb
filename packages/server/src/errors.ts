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
 * The server's one error class. HTTP status is derived from the code by `statusForCode`.
 *
 * @example
 * throw new ServerError({ code: 'SERVER_NOT_FOUND', message: 'no transparency entry with that id' })
 */
// The explicit annotation lets declaration emit name the base type (core's marker symbol is module-private).
const ServerErrorBase: ReturnType<typeof defineErrorClass<ServerErrorCode>> =
  defineErrorClass<ServerErrorCode>('ServerError')
export class ServerError extends ServerErrorBase {}
