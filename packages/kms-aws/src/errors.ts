import { isNetworkErrorCode, KmsError } from '@certus-trust/kms'

const BY_NAME: Record<string, KmsError['code']> = {
  NotFoundException: 'KMS_NOT_FOUND',
  AccessDeniedException: 'KMS_PERMISSION_DENIED',
  UnrecognizedClientException: 'KMS_PERMISSION_DENIED',
  InvalidSignatureException: 'KMS_PERMISSION_DENIED',
  ExpiredTokenException: 'KMS_PERMISSION_DENIED',
  IncompleteSignature: 'KMS_PERMISSION_DENIED',
  DisabledException: 'KMS_KEY_DISABLED',
  KMSInvalidStateException: 'KMS_KEY_DISABLED',
  KeyUnavailableException: 'KMS_KEY_DISABLED',
  ThrottlingException: 'KMS_THROTTLED',
  Throttling: 'KMS_THROTTLED',
  TooManyRequestsException: 'KMS_THROTTLED',
  LimitExceededException: 'KMS_THROTTLED',
  InvalidKeyUsageException: 'KMS_UNSUPPORTED_ALGORITHM',
  UnsupportedOperationException: 'KMS_UNSUPPORTED_ALGORITHM',
  AlreadyExistsException: 'KMS_INVALID_INPUT',
  ValidationException: 'KMS_INVALID_INPUT',
}

/** Maps an AWS SDK error to a {@link KmsError} (once, at this package's boundary). */
export function classifyAwsError(keyName: string, what: string, error: unknown, timedOut: boolean): KmsError {
  const failure = error as {
    name?: string
    code?: string
    message?: string
    $metadata?: { httpStatusCode?: number }
  } | null
  const name = failure?.name ?? ''
  const status = failure?.$metadata?.httpStatusCode
  const details = {
    key: keyName,
    ...(status === undefined ? {} : { status }),
    ...(name ? { awsError: name } : {}),
  }
  if (timedOut || name === 'TimeoutError') {
    return new KmsError({
      code: 'KMS_TIMEOUT',
      message: `${what} ${keyName} timed out`,
      cause: error,
      details,
    })
  }
  const code = BY_NAME[name]
  if (code) {
    return new KmsError({ code, message: `${what} ${keyName} failed: ${name}`, cause: error, details })
  }
  if (isNetworkErrorCode(failure?.code) || isNetworkErrorCode(name)) {
    return new KmsError({
      code: 'KMS_UNREACHABLE',
      message: `${what} ${keyName}: AWS KMS is unreachable`,
      cause: error,
      details,
    })
  }
  if (/region is missing/i.test(failure?.message ?? '')) {
    return new KmsError({
      code: 'KMS_INVALID_INPUT',
      message: `${what} ${keyName}: no AWS region (set AWS_REGION, a profile region, or use a key ARN)`,
      cause: error,
    })
  }
  if (/credential/i.test(name) || /could not load credentials/i.test(failure?.message ?? '')) {
    return new KmsError({
      code: 'KMS_PERMISSION_DENIED',
      message: `${what} ${keyName}: no AWS credentials found (environment, profile or instance role)`,
      cause: error,
      details,
    })
  }
  return new KmsError({
    code: status === 429 ? 'KMS_THROTTLED' : 'KMS_REQUEST_FAILED',
    message: `${what} ${keyName} failed${name ? `: ${name}` : ''}`,
    cause: error,
    details,
  })
}
