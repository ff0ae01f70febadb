import { isNetworkErrorCode, KmsError } from '@certus-trust/kms'

/** Maps an Azure SDK (`RestError`, identity) error to a {@link KmsError} (once, at this package's boundary). */
export function classifyAzureError(
  keyName: string,
  what: string,
  error: unknown,
  timedOut: boolean,
): KmsError {
  const failure = error as {
    name?: string
    statusCode?: number
    code?: string
    message?: string
  } | null
  const status = failure?.statusCode
  const text = `${failure?.code ?? ''} ${failure?.message ?? ''}`
  const details = {
    key: keyName,
    ...(status === undefined ? {} : { status }),
    ...(failure?.code ? { azureError: failure.code } : {}),
  }
  const wrap = (code: KmsError['code'], reason: string) =>
    new KmsError({ code, message: `${what} ${keyName}: ${reason}`, cause: error, details })
  if (timedOut || failure?.name === 'AbortError' || failure?.name === 'TimeoutError')
    return wrap('KMS_TIMEOUT', 'timed out')
  if (status === 404) return wrap('KMS_NOT_FOUND', 'not found')
  if (/disabled|not yet valid|expired/i.test(text) && (status === 403 || status === 400))
    return wrap('KMS_KEY_DISABLED', 'the key is disabled or outside its validity period')
  if (status === 401 || status === 403)
    return wrap('KMS_PERMISSION_DENIED', `access denied (${failure?.code ?? status})`)
  if (status === 429) return wrap('KMS_THROTTLED', 'throttled')
  if (status === 409)
    return wrap('KMS_INVALID_INPUT', 'conflict (a key of that name exists or is being deleted)')
  if (status === 400 && /algorithm|operation .* not (allowed|supported)|key_ops/i.test(text)) {
    return wrap('KMS_UNSUPPORTED_ALGORITHM', 'the key cannot sign with that algorithm')
  }
  if (failure?.name === 'CredentialUnavailableError' || failure?.name === 'AuthenticationError') {
    return wrap(
      'KMS_PERMISSION_DENIED',
      'no Azure credentials (environment, managed identity, workload identity, az login)',
    )
  }
  if (status === undefined && (isNetworkErrorCode(failure?.code) || failure?.code === 'REQUEST_SEND_ERROR')) {
    return wrap('KMS_UNREACHABLE', 'Key Vault is unreachable')
  }
  return wrap('KMS_REQUEST_FAILED', `the request failed${status ? ` (${status})` : ''}`)
}
