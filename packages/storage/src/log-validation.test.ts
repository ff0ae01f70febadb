import { describe, expect, it } from 'vitest'
import { assertIndex, isValidTreeId, normalizeLogNodes } from './log-validation.js'

describe('isValidTreeId', () => {
  it('accepts decimal strings of positive integers below 2^63', () => {
    for (const id of ['1', '42', '1234567890123456789', '9223372036854775807'])
      expect(isValidTreeId(id)).toBe(true)
  })

  it('refuses everything else without throwing', () => {
    for (const id of [
      '0',
      '-1',
      '01',
      '9223372036854775808',
      '99999999999999999999',
      '1.5',
      ' 1',
      '1e3',
      '',
      1,
      1n,
      null,
      undefined,
      {},
    ]) {
      expect(isValidTreeId(id), String(id)).toBe(false)
    }
  })
})

describe('assertIndex', () => {
  it('accepts non-negative safe integers', () => {
    for (const value of [0, -0, 1, Number.MAX_SAFE_INTEGER])
      expect(() => assertIndex('index', value)).not.toThrow()
  })

  it('refuses the rest with STORAGE_INVALID_QUERY naming the parameter', () => {
    for (const value of [
      -1,
      1.5,
      Number.MAX_SAFE_INTEGER + 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '1',
      1n,
      null,
    ]) {
      expect(() => assertIndex('leafIndex', value), String(value)).toThrowError(
        expect.objectContaining({
          code: 'STORAGE_INVALID_QUERY',
          message: 'leafIndex must be a non-negative safe integer',
          details: { parameter: 'leafIndex' },
        }),
      )
    }
  })

  it('agrees with the index schema records are written with', () => {
    const hash = new Uint8Array(32)
    for (const index of [0, 7, Number.MAX_SAFE_INTEGER, -1, 0.5, Number.MAX_SAFE_INTEGER + 1]) {
      let written = true
      try {
        normalizeLogNodes('1', '1', [{ level: 0, index, hash }])
      } catch {
        written = false
      }
      let queried = true
      try {
        assertIndex('index', index)
      } catch {
        queried = false
      }
      expect(queried, String(index)).toBe(written)
    }
  })
})
