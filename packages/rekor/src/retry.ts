import type { RetryOptions } from 'ky'

/** The retry policy as ky options: which failures are retried and how long to wait, plus Retry-After parsing. */

/** Backoff settings: full jitter over `min(maxMs, baseMs·2^attempt)`, attempt counted from 0. */
export interface RetryDelayOptions {
  /** @default 500 */
  baseMs: number
  /** @default 10_000 */
  maxMs: number
}

/** Retry settings after defaults are applied. */
export interface RetrySettings {
  retries: number
  retryDelay: RetryDelayOptions
  maxRetryAfter: number
}

/** Statuses worth retrying: 408, 429 and the transient 5xx. They are also the only statuses ky throws for. */
export const RETRIABLE_STATUS: readonly number[] = [408, 429, 500, 502, 503, 504]

/** A retry count ky accepts (a finite integer ≥ 0): NaN retries never, Infinity as often as ky can count. */
export function retryLimit(retries: number): number {
  if (Number.isNaN(retries)) return 0
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(retries)))
}

/**
 * ky's retry options for our policy. POST is retried too: a retried create that meets 409 resolves to the existing
 * entry. Whether a given failure is retried at all (aborts, Retry-After over the cap, errors ky does not know)
 * is decided per request by `shouldRetry`, see HttpTransport.
 */
export function kyRetryOptions(settings: RetrySettings): RetryOptions {
  const { baseMs, maxMs } = settings.retryDelay
  return {
    limit: retryLimit(settings.retries),
    methods: ['get', 'post'],
    statusCodes: [...RETRIABLE_STATUS],
    // Retry-After is honoured on every retried status, not only ky's default 413/429/503.
    afterStatusCodes: [...RETRIABLE_STATUS],
    maxRetryAfter: settings.maxRetryAfter,
    retryOnTimeout: true,
    // ky counts attempts from 1; full jitter picks a delay in [0, min(maxMs, baseMs·2^(attempt-1))).
    delay: (attemptCount) => Math.min(maxMs, baseMs * 2 ** (attemptCount - 1)),
    jitter: true,
    backoffLimit: maxMs,
  }
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
