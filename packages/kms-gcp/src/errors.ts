import { isNetworkErrorCode, KmsError } from '@certus-trust/kms'

// gRPC status codes, as google-gax reports them over both transports.
const BY_GRPC_CODE: Record<number, KmsError['code']> = {
  3: 'KMS_INVALID_INPUT', // INVALID_ARGUMENT
  4: 'KMS_TIMEOUT', // DEADLINE_EXCEEDED
  5: 'KMS_NOT_FOUND', // NOT_FOUND
  6: 'KMS_INVALID_INPUT', // ALREADY_EXISTS
  7: 'KMS_PERMISSION_DENIED', // PERMISSION_DENIED
  8: 'KMS_THROTTLED', // RESOURCE_EXHAUSTED
  9: 'KMS_KEY_DISABLED', // FAILED_PRECONDITION: version disabled, destroyed or still generating
  14: 'KMS_UNREACHABLE', // UNAVAILABLE
  16: 'KMS_PERMISSION_DENIED', // UNAUTHENTICATED
}

/** Maps a google-gax / google-auth-library error to a {@link KmsError} (once, at this package's boundary). */
export function classifyGcpError(keyName: string, what: string, error: unknown, timedOut: boolean): KmsError {
  const failure = error as { code?: unknown; message?: string; cause?: { code?: string } } | null
  const grpcCode = typeof failure?.code === 'number' ? failure.code : undefined
  const details = { key: keyName, ...(grpcCode === undefined ? {} : { grpcCode }) }
  if (timedOut)
    return new KmsError({
      code: 'KMS_TIMEOUT',
      message: `${what} ${keyName} timed out`,
      cause: error,
      details,
    })
  const code = grpcCode === undefined ? undefined : BY_GRPC_CODE[grpcCode]
  if (code) {
    // Google's messages name resources and reasons, never credentials.
    return new KmsError({
      code,
      message: `${what} ${keyName} failed: ${firstLine(failure?.message)}`,
      cause: error,
      details,
    })
  }
  const systemCode = typeof failure?.code === 'string' ? failure.code : failure?.cause?.code
  if (isNetworkErrorCode(systemCode) || /ECONNREFUSED|ENOTFOUND|fetch failed/.test(failure?.message ?? '')) {
    return new KmsError({
      code: 'KMS_UNREACHABLE',
      message: `${what} ${keyName}: Cloud KMS is unreachable`,
      cause: error,
      details,
    })
  }
  if (/Could not load the default credentials|Could not refresh access token/i.test(failure?.message ?? '')) {
    return new KmsError({
      code: 'KMS_PERMISSION_DENIED',
      message: `${what} ${keyName}: no Google Cloud credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud ADC or workload identity)`,
      cause: error,
    })
  }
  return new KmsError({
    code: 'KMS_REQUEST_FAILED',
    message: `${what} ${keyName} failed: ${firstLine(failure?.message)}`,
    cause: error,
    // INTERNAL and UNKNOWN are server-side: marked 5xx so they are retried.
    details: { ...details, ...(grpcCode === 13 || grpcCode === 2 ? { status: 500 } : {}) },
  })
}

function firstLine(message: string | undefined): string {
  return (message ?? 'unknown error').split('\n')[0]!.slice(0, 300)
}
