import { describe, expect, it } from 'vitest'
import { deepFreeze } from './deep-freeze.js'

describe('deepFreeze', () => {
  it('freezes nested objects and arrays, so no caller can change a shared value', () => {
    const value = deepFreeze({ spec: { signatures: [{ sig: 'a' }] }, kind: 'dsse' })
    expect(Object.isFrozen(value)).toBe(true)
    expect(Object.isFrozen(value.spec.signatures[0])).toBe(true)
    expect(() => {
      ;(value.spec.signatures[0] as { sig: string }).sig = 'b'
    }).toThrow(TypeError)
  })

  it('leaves typed arrays (which cannot be frozen) and primitives alone', () => {
    const bytes = new Uint8Array([1, 2])
    const value = deepFreeze({ bytes, count: 2 })
    expect(Object.isFrozen(value)).toBe(true)
    expect(Object.isFrozen(bytes)).toBe(false)
    expect(deepFreeze(3)).toBe(3)
    expect(deepFreeze(null)).toBe(null)
  })
})
