import { describe, expect, it } from 'vitest'
import {
  CertusError,
  defineErrorClass,
  formatSha256Digest,
  isSha256Digest,
  parseSha256Digest,
} from './index.js'

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
        expect.objectContaining({ code: 'CORE_INVALID_DIGEST' }),
      )
    },
  )
  it('formats bytes', () => {
    expect(formatSha256Digest(new Uint8Array([0xab, 0xcd]))).toBe('sha256:abcd')
  })
})

describe('error classes', () => {
  class DemoError extends defineErrorClass<'DEMO_A' | 'DEMO_B'>('DemoError') {}
  it('guards by marker and code, serialises without cause', () => {
    const error = new DemoError({
      code: 'DEMO_A',
      message: 'doing a',
      cause: new Error('secret-ish'),
      details: { n: 1 },
    })
    expect(DemoError.is(error)).toBe(true)
    expect(DemoError.is(error, 'DEMO_B')).toBe(false)
    expect(CertusError.isCertusError(error)).toBe(true)
    expect(DemoError.is(new Error('x'))).toBe(false)
    expect(error.name).toBe('DemoError')
    expect(JSON.stringify(error)).not.toContain('secret-ish')
    expect(error.toJSON()).toEqual({
      name: 'DemoError',
      code: 'DEMO_A',
      message: 'doing a',
      details: { n: 1 },
    })
  })
})
