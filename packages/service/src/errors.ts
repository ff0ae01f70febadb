import {
  type CertusError,
  type CertusErrorOptions,
  defineErrorClass,
  type ErrorCategory,
} from '@certus-trust/core'

/** Stable codes of {@link ServiceError}. Codes are API: adding one is minor, renaming is major. */
export type ServiceErrorCode =
  /** The request cannot be served as given (missing policy, unparseable key). */
  | 'SERVICE_BAD_REQUEST'
  /** An idempotency key was reused for a different request. */
  | 'SERVICE_IDEMPOTENCY_CONFLICT'
  /** The transparency entry (or other looked-up item) does not exist. */
  | 'SERVICE_NOT_FOUND'
  /** The operation needs a feature that is off (transparency disabled). */
  | 'SERVICE_FEATURE_DISABLED'
  /** A dependency (storage, log) cannot be opened or did not answer in time. */
  | 'SERVICE_UNAVAILABLE'
  /** A configured file (signing key, trusted root) cannot be read or used. */
  | 'SERVICE_CONFIG_INVALID'
  /** The data directory is missing, locked by another process or unusable. */
  | 'SERVICE_DATA_DIR'
  /** The trusted root could not be refreshed through TUF (and no fallback was allowed). */
  | 'SERVICE_TRUST_ROOT_UNAVAILABLE'

// Typed through CertusError rather than inferred: core's declarations keep its marker symbol private (TS4020).
const ServiceErrorBase: {
  new (options: CertusErrorOptions<ServiceErrorCode>): CertusError<ServiceErrorCode>
  is(value: unknown, code?: ServiceErrorCode): value is CertusError<ServiceErrorCode>
  readonly categories: Readonly<Record<ServiceErrorCode, ErrorCategory>>
} = defineErrorClass<ServiceErrorCode>('ServiceError', {
  SERVICE_BAD_REQUEST: 'invalid_input',
  SERVICE_IDEMPOTENCY_CONFLICT: 'conflict',
  SERVICE_NOT_FOUND: 'not_found',
  SERVICE_FEATURE_DISABLED: 'unsupported',
  SERVICE_UNAVAILABLE: 'unavailable',
  SERVICE_CONFIG_INVALID: 'invalid_config',
  // Missing, locked or unusable: the directory (a dependency) cannot be used now.
  SERVICE_DATA_DIR: 'unavailable',
  SERVICE_TRUST_ROOT_UNAVAILABLE: 'unavailable',
})

/**
 * The one error class of @certus-trust/service. `ServiceError.is(error, code?)` works across package copies.
 *
 * @example
 * if (ServiceError.is(error, 'SERVICE_DATA_DIR')) console.error(error.message)
 */
export class ServiceError extends ServiceErrorBase {}
