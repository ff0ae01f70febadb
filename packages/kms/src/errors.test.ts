import { describe, expect, it } from 'vitest'
import { isNetworkErrorCode } from './errors.js'

describe('isNetworkErrorCode', () => {
  it('is true for the socket failures that mean the KMS could not be reached, and nothing else', () => {
    for (const code of [
      'ECONNREFUSED',
      'ENOTFOUND',
      'EAI_AGAIN',
      'ECONNRESET',
      'EHOSTUNREACH',
      'ENETUNREACH',
    ]) {
      expect(isNetworkErrorCode(code)).toBe(true)
    }
    for (const code of [undefined, '', 'ETIMEDOUT_NOT', 'AccessDeniedException', 'econnrefused']) {
      expect(isNetworkErrorCode(code)).toBe(false)
    }
  })
})
