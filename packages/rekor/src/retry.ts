/** Retry timing: exponential backoff with full jitter, plus Retry-After parsing and an abortable sleep. */
export interface RetryDelayOptions {
  /** @default 500 */
  baseMs: number
  /** @default 10_000 */
  maxMs: number
}

/** Full-jitter delay for a 0-based attempt: random in [0, min(max, base·2^attempt)]. */
export function backoffDelay(
  attempt: number,
  options: RetryDelayOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** attempt)
  return Math.floor(random() * ceiling)
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Sleeps, rejecting with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
