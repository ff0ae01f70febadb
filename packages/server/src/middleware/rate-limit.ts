import type { MiddlewareHandler } from 'hono'
import { ServerError } from '../errors.js'

/** Fixed-window rate limit settings. */
export interface RateLimitOptions {
  /** Requests per window per caller; 0 disables the limiter. */
  max: number
  /** Window length in milliseconds. */
  windowMs: number
  /** Clock seam for tests. @default Date.now */
  now?: () => number
}

interface Window {
  start: number
  count: number
}

/**
 * Per-caller fixed-window rate limiting. The key is the authenticated caller (`key:<id>`, `jwt:<sub>`) or,
 * for anonymous and rejected callers, their IP, so failed credential attempts are limited too.
 * Over the limit: 429 `SERVER_RATE_LIMITED` with `Retry-After` (seconds). In-process state: behind a load
 * balancer each instance limits on its own (documented in the README).
 */
export function rateLimit({ max, windowMs, now = Date.now }: RateLimitOptions): MiddlewareHandler {
  const windows = new Map<string, Window>()
  let lastSweep = now()
  return async function limitRate(c, next) {
    if (max <= 0) return next()
    const caller = c.get('caller')
    const key = caller && caller.kind !== 'anonymous' ? caller.id : `ip:${caller?.address ?? 'unknown'}`
    const time = now()
    if (time - lastSweep > windowMs) {
      // Drop finished windows so idle callers do not accumulate in memory.
      for (const [k, w] of windows) if (time - w.start >= windowMs) windows.delete(k)
      lastSweep = time
    }
    let window = windows.get(key)
    if (!window || time - window.start >= windowMs) {
      window = { start: time, count: 0 }
      windows.set(key, window)
    }
    window.count += 1
    const resetSeconds = Math.max(1, Math.ceil((window.start + windowMs - time) / 1000))
    c.header('RateLimit-Limit', String(max))
    c.header('RateLimit-Remaining', String(Math.max(0, max - window.count)))
    c.header('RateLimit-Reset', String(resetSeconds))
    if (window.count > max) {
      throw new ServerError({
        code: 'SERVER_RATE_LIMITED',
        message: `rate limit of ${max} requests per ${Math.round(windowMs / 1000)} s exceeded; retry later`,
        details: { retryAfterSeconds: resetSeconds },
      })
    }
    await next()
  }
}
