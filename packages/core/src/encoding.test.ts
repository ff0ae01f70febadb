import { describe, expect, it } from 'vitest'
import { fromAnyBase64, fromBase64 } from './encoding.js'

// The strict base64 grammar as a grouped pattern; fromBase64 checks the same language faster.
const REFERENCE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

describe('fromBase64', () => {
  it('accepts exactly the strings of the padded standard-base64 grammar', () => {
    const alphabet = 'AZaz09+/=-_ \n'
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed
    }
    for (let round = 0; round < 20_000; round++) {
      const length = random() % 10
      let text = ''
      for (let index = 0; index < length; index++) text += alphabet[random() % alphabet.length]
      expect(fromBase64(text) !== undefined, JSON.stringify(text)).toBe(REFERENCE.test(text))
    }
    expect(Buffer.from(fromBase64('aGVsbG8=')!).toString()).toBe('hello')
    expect(fromBase64('aGVsbG8')).toBeUndefined()
    expect(fromBase64('aGVs=G8=')).toBeUndefined()
    expect(fromBase64('aGV===')).toBeUndefined()
    // Non-zero padding bits are not canonical but are in the grammar (other readers accept them): decoded.
    expect(fromBase64('aGVsbG9=')).toEqual(fromBase64('aGVsbG8='))
    expect(fromBase64('aGVsbG8=\n')).toBeUndefined()
  })
})

describe('fromAnyBase64', () => {
  it('decodes standard and URL-safe base64 and refuses anything else', () => {
    expect(fromAnyBase64('+/8=')).toEqual(Uint8Array.of(0xfb, 0xff))
    expect(fromAnyBase64('-_8')).toEqual(Uint8Array.of(0xfb, 0xff))
    expect(fromAnyBase64('a b=')).toBeUndefined()
    expect(fromAnyBase64('+_8=')).toBeUndefined()
  })
})
