import { describe, expect, it } from 'vitest'
import { KmsError } from './errors.js'
import { withRetry } from './retry.js'

const classify = (error: unknown) =>
  new KmsError({ code: 'KMS_REQUEST_FAILED', message: 'failed', cause: error })

describe('withRetry', () => {
  it('retries throttling and 5xx, not other failures', async () => {
    let attempts = 0
    const throttled = new KmsError({ code: 'KMS_THROTTLED', message: 'slow down' })
    const serverError = new KmsError({
      code: 'KMS_REQUEST_FAILED',
      message: 'oops',
      details: { status: 503 },
    })
    await expect(
      withRetry(
        async () => {
          attempts++
          if (attempts === 1) throw throttled
          if (attempts === 2) throw serverError
          return 'ok'
        },
        classify,
        { baseDelayMs: 1 },
      ),
    ).resolves.toBe('ok')
    expect(attempts).toBe(3)
    attempts = 0
    const denied = new KmsError({ code: 'KMS_PERMISSION_DENIED', message: 'no' })
    await expect(
      withRetry(
        async () => {
          attempts++
          throw denied
        },
        classify,
        { baseDelayMs: 1 },
      ),
    ).rejects.toBe(denied)
    expect(attempts).toBe(1)
  })

  it('stops after the last retry, honours the caller signal and rejects bad options', async () => {
    let attempts = 0
    await expect(
      withRetry(
        async () => {
          attempts++
          throw new KmsError({ code: 'KMS_THROTTLED', message: 'slow down' })
        },
        classify,
        { retries: 2, baseDelayMs: 1 },
      ),
    ).rejects.toMatchObject({ code: 'KMS_THROTTLED' })
    expect(attempts).toBe(3)
    const controller = new AbortController()
    controller.abort()
    await expect(
      withRetry(async () => 'never', classify, { signal: controller.signal }),
    ).rejects.toMatchObject({
      code: 'KMS_ABORTED',
    })
    await expect(withRetry(async () => 1, classify, { timeoutMs: 0 })).rejects.toMatchObject({
      code: 'KMS_INVALID_INPUT',
    })
  })

  it('passes a timeout signal to each attempt and classifies its firing as a timeout', async () => {
    const error = await withRetry(
      (signal) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
      (cause, timedOut) =>
        new KmsError({ code: timedOut ? 'KMS_TIMEOUT' : 'KMS_REQUEST_FAILED', message: 'x', cause }),
      { timeoutMs: 20 },
    ).catch((caught: unknown) => caught)
    expect(KmsError.is(error, 'KMS_TIMEOUT')).toBe(true)
  })
})
