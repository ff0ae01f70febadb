import { type CertusErrorOptions, defineErrorClass, type ErrorCategory } from '@certus-trust/core'

/**
 * Stable codes of {@link KmsError}, shared by every `@certus-trust/kms-*` provider. Codes are API: adding one is
 * minor, renaming is major.
 *
 * - `KMS_INVALID_URI` – the key URI is malformed or names a scheme no provider handles.
 * - `KMS_INVALID_INPUT` – an option or argument has the wrong shape (a digest of the wrong length, …).
 * - `KMS_PROVIDER_NOT_INSTALLED` – the provider package (or its vendor SDK) for the URI's scheme is not installed.
 * - `KMS_NOT_FOUND` – the key (or key version) does not exist.
 * - `KMS_PERMISSION_DENIED` – the credentials may not use the key (or the service refused them).
 * - `KMS_KEY_DISABLED` – the key exists but is disabled, pending deletion or otherwise not usable.
 * - `KMS_THROTTLED` – the service kept throttling the request after every retry.
 * - `KMS_UNSUPPORTED_ALGORITHM` – the key's type or signing algorithm is not one we sign with.
 * - `KMS_UNREACHABLE` – the service could not be reached (DNS, connection refused, TLS).
 * - `KMS_TIMEOUT` – the service did not answer within the timeout.
 * - `KMS_REQUEST_FAILED` – the service failed the request for another reason (see `details.status`).
 * - `KMS_RESPONSE_INVALID` – the service answered with something we cannot use (no signature, bad public key).
 * - `KMS_ABORTED` – the caller's `AbortSignal` fired.
 */
export type KmsErrorCode =
  | 'KMS_INVALID_URI'
  | 'KMS_INVALID_INPUT'
  | 'KMS_PROVIDER_NOT_INSTALLED'
  | 'KMS_NOT_FOUND'
  | 'KMS_PERMISSION_DENIED'
  | 'KMS_KEY_DISABLED'
  | 'KMS_THROTTLED'
  | 'KMS_UNSUPPORTED_ALGORITHM'
  | 'KMS_UNREACHABLE'
  | 'KMS_TIMEOUT'
  | 'KMS_REQUEST_FAILED'
  | 'KMS_RESPONSE_INVALID'
  | 'KMS_ABORTED'

/**
 * The one error class of the KMS key providers. Messages name the key and what we were doing; they never contain
 * credentials or tokens. `cause` holds the vendor SDK's (or fetch's) original error.
 *
 * @example
 * if (KmsError.is(error, 'KMS_PERMISSION_DENIED')) console.error('grant kms:Sign on the key')
 */
// The explicit annotation lets declaration emit name the base type (core's marker symbol is module-private).
const KmsErrorBase: ReturnType<typeof defineErrorClass<KmsErrorCode>> = defineErrorClass<KmsErrorCode>(
  'KmsError',
  {
    // Key URIs and provider packages are configuration the user chose (a usage error in the CLI).
    KMS_INVALID_URI: 'invalid_config',
    KMS_INVALID_INPUT: 'invalid_input',
    KMS_PROVIDER_NOT_INSTALLED: 'invalid_config',
    KMS_NOT_FOUND: 'not_found',
    KMS_PERMISSION_DENIED: 'forbidden',
    KMS_KEY_DISABLED: 'invalid_input',
    KMS_THROTTLED: 'unavailable',
    KMS_UNSUPPORTED_ALGORITHM: 'unsupported',
    KMS_UNREACHABLE: 'unavailable',
    KMS_TIMEOUT: 'unavailable',
    KMS_REQUEST_FAILED: 'upstream_failure',
    KMS_RESPONSE_INVALID: 'upstream_failure',
    KMS_ABORTED: 'unavailable',
  },
  requestFailureCategory,
)
export class KmsError extends KmsErrorBase {}

/**
 * `KMS_REQUEST_FAILED` with the service's HTTP status in `details.status`: 401/403/404 say what went wrong with
 * the key or credentials; 408, 429, 503 and 504 that the service may answer later. Other statuses keep
 * `upstream_failure`.
 */
function requestFailureCategory(options: CertusErrorOptions<KmsErrorCode>): ErrorCategory | undefined {
  const status = options.details?.status
  if (options.code !== 'KMS_REQUEST_FAILED' || typeof status !== 'number') return undefined
  if (status === 401) return 'unauthorized'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'not_found'
  if (status === 408 || status === 429 || status === 503 || status === 504) return 'unavailable'
  return undefined
}

// Socket-level failures (Node's system error codes): the KMS could not be reached, whatever the vendor SDK.
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

/** True for a Node system error code that means the service could not be reached (providers map it to `KMS_UNREACHABLE`). */
export function isNetworkErrorCode(code: string | undefined): boolean {
  return code !== undefined && NETWORK_ERROR_CODES.has(code)
}
