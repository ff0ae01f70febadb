import { setTimeout as sleep } from 'node:timers/promises'
import { KmsError } from './errors.js'

/** How a provider retries throttled calls and bounds each one. */
export interface RetryOptions {
  /** Retries after the first attempt when the service throttles (`KMS_THROTTLED`). @default 4 */
  retries?: number
  /** First backoff delay; doubled on each retry, with full jitter. @default 200 */
  baseDelayMs?: number
  /** Longest single backoff delay. @default 5000 */
  maxDelayMs?: number
  /** Time allowed for one call to the service before it fails with `KMS_TIMEOUT`. @default 10000 */
  timeoutMs?: number
}

/** Defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY_OPTIONS: Readonly<Required<RetryOptions>> = Object.freeze({
  retries: 4,
  baseDelayMs: 200,
  maxDelayMs: 5000,
  timeoutMs: 10_000,
})

/**
 * Runs `attempt` with a per-attempt timeout signal and retries it, with exponential backoff and full jitter,
 * while it fails with `KMS_THROTTLED` (or `KMS_REQUEST_FAILED` with a 5xx status). `classify` turns the SDK's error into a {@link KmsError} (once, here).
 * Other failures are not retried: a denied or missing key will not get better, and a timed-out sign may have
 * been carried out already (signing twice is harmless, but waiting twice the timeout is not what callers expect).
 *
 * @throws KmsError `KMS_THROTTLED` after the last retry, `KMS_TIMEOUT`, `KMS_ABORTED`, or what `classify` returns
 */
export async function withRetry<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  classify: (error: unknown, timedOut: boolean) => KmsError,
  options: RetryOptions & { signal?: AbortSignal | undefined } = {},
): Promise<T> {
  const settings = { ...DEFAULT_RETRY_OPTIONS, ...definedOnly(options) }
  for (let retry = 0; ; retry++) {
    if (options.signal?.aborted) throw abortedError(options.signal)
    const timeout = AbortSignal.timeout(settings.timeoutMs)
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    let error: KmsError
    try {
      return await attempt(signal)
    } catch (caught) {
      if (options.signal?.aborted) throw abortedError(options.signal, caught)
      error = KmsError.is(caught) ? caught : classify(caught, timeout.aborted)
    }
    if (!isRetryable(error) || retry >= settings.retries) throw error
    const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** retry)
    try {
      await sleep(Math.random() * ceiling, undefined, options.signal ? { signal: options.signal } : {})
    } catch (caught) {
      throw abortedError(options.signal!, caught)
    }
  }
}

/** Throttling and server-side (5xx) failures may pass on a later attempt; signing twice is harmless. */
function isRetryable(error: KmsError): boolean {
  const status = error.details.status
  return (
    error.code === 'KMS_THROTTLED' ||
    (error.code === 'KMS_REQUEST_FAILED' && typeof status === 'number' && status >= 500)
  )
}

function abortedError(signal: AbortSignal, cause?: unknown): KmsError {
  return new KmsError({
    code: 'KMS_ABORTED',
    message: 'the KMS call was aborted',
    cause: cause ?? signal.reason,
  })
}

function definedOnly(options: RetryOptions): RetryOptions {
  const result: Record<string, number> = {}
  for (const key of ['retries', 'baseDelayMs', 'maxDelayMs', 'timeoutMs'] as const) {
    const value = options[key]
    if (value === undefined) continue
    if (!Number.isFinite(value) || value < 0 || (key === 'timeoutMs' && value === 0)) {
      throw new KmsError({
        code: 'KMS_INVALID_INPUT',
        message: `${key} must be a ${key === 'timeoutMs' ? 'positive' : 'non-negative'} number`,
      })
    }
    result[key] = value
  }
  return result
}

/** The {@link RetryOptions} fields of a larger options object (unset ones left out, so defaults apply). */
export function retryOptionsOf(options: RetryOptions): RetryOptions {
  const { retries, baseDelayMs, maxDelayMs, timeoutMs } = options
  return {
    ...(retries === undefined ? {} : { retries }),
    ...(baseDelayMs === undefined ? {} : { baseDelayMs }),
    ...(maxDelayMs === undefined ? {} : { maxDelayMs }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  }
}
