import { describe, expect, it } from 'vitest'
import { CertusError, CoreError, formatSha256Digest, isSha256Digest, parseSha256Digest } from './index.js'

describe('sha256 digests', () => {
  const hex = 'ab'.repeat(32)
  it('parses and normalises case', () => {
    expect(parseSha256Digest(`sha256:${hex.toUpperCase()}`)).toEqual({ algorithm: 'sha256', hex })
    expect(isSha256Digest(`sha256:${hex}`)).toBe(true)
  })
  it.each(['', 'sha256:', `sha256:${hex}0`, `sha512:${hex}`, `sha256:${'zz'.repeat(32)}`, ` sha256:${hex}`])(
    'rejects %j with CORE_INVALID_DIGEST',
    (value) => {
      expect(isSha256Digest(value)).toBe(false)
      expect(() => parseSha256Digest(value)).toThrowError(
        expect.objectContaining({ code: 'CORE_INVALID_DIGEST', category: 'invalid_input' }),
      )
      try {
        parseSha256Digest(value)
      } catch (error) {
        expect(CoreError.is(error, 'CORE_INVALID_DIGEST')).toBe(true)
        expect(CertusError.isCertusError(error)).toBe(true)
      }
    },
  )
  it('formats bytes', () => {
    expect(formatSha256Digest(new Uint8Array([0xab, 0xcd]))).toBe('sha256:abcd')
  })
})
