import { describe, expect, it } from 'vitest'
import { canonicalJson } from './canonical-json.js'
import { CoreError } from './errors.js'

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units, drops undefined members and writes no whitespace', () => {
    const value = { b: 1, a: [true, null, 'x'], é: { z: undefined, y: 2.5 }, B: 'upper' }
    expect(canonicalJson(value)).toBe('{"B":"upper","a":[true,null,"x"],"b":1,"é":{"y":2.5}}')
  })

  it('turns undefined array items into null and honours toJSON', () => {
    expect(canonicalJson([undefined, new Date(0)])).toBe('[null,"1970-01-01T00:00:00.000Z"]')
  })

  it('refuses non-finite numbers and bigints, naming the path', () => {
    expect(() => canonicalJson({ a: [Number.NaN] })).toThrowError(/\$\.a\[0\]/)
    let caught: unknown
    try {
      canonicalJson({ n: 1n })
    } catch (error) {
      caught = error
    }
    expect(CoreError.is(caught, 'CORE_INVALID_INPUT')).toBe(true)
  })
})

describe('canonicalJson: formatting', () => {
  it('sorts keys by UTF-16 code units at every level and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, é: 0, Z: -0.5 })).toBe(
      '{"Z":-0.5,"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1,"é":0}',
    )
    // U+1F600 (surrogate pair D83D…) sorts before U+FB01 by code units, not by code points.
    expect(canonicalJson({ '\uFB01': 1, '\u{1F600}': 2 })).toBe('{"\u{1F600}":2,"\uFB01":1}')
  })
  it('formats numbers like ECMAScript and escapes like JSON', () => {
    expect(canonicalJson([1e21, 1.5, 0, 100, '\u0007"\\'])).toBe('[1e+21,1.5,0,100,"\\u0007\\"\\\\"]')
  })
  it('rejects what JSON cannot carry', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrowError(
      expect.objectContaining({ code: 'CORE_INVALID_INPUT' }),
    )
    expect(() => canonicalJson({ a: 1n })).toThrowError(
      expect.objectContaining({ code: 'CORE_INVALID_INPUT' }),
    )
  })
})
