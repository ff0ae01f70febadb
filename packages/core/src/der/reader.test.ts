import { describe, expect, it } from 'vitest'
import { DerError, decodeOid, decodeTime, readDer, readNode } from './reader.js'
import { derGeneralizedTime, derOid } from './writer.js'

const oid = (dotted: string) => decodeOid(readDer(derOid(dotted)))

describe('decodeOid', () => {
  it('round-trips small arcs, arcs across the 2^46 number/BigInt boundary, and UUID arcs', () => {
    for (const dotted of [
      '1.2.840.113549.1.1.11',
      '2.5.29.37',
      '2.999.1',
      `1.3.${2 ** 46 - 1}.${2 ** 46}.${2 ** 53 + 1}`,
      '2.25.329800735698586629295641978511506172918',
    ])
      expect(oid(dotted)).toBe(dotted)
  })
  it('rejects padded subidentifiers, truncation and over-long OIDs with DER_INVALID_VALUE', () => {
    for (const bytes of [
      [0x06, 0x02, 0x80, 0x01],
      [0x06, 0x02, 0x2a, 0x86],
      [0x06, 0x81, 0x81, ...new Array(129).fill(1)],
    ])
      expect(() => decodeOid(readDer(Uint8Array.from(bytes)))).toThrow(
        expect.objectContaining({ code: 'DER_INVALID_VALUE' }),
      )
  })
})

describe('readNode / readDer', () => {
  it('reads the shortest lengths and rejects every other form with its code', () => {
    expect(readDer(Uint8Array.of(0x04, 0x01, 0xaa)).end).toBe(3)
    const cases: Array<[number[], string]> = [
      [[0x04, 0x81, 0x01, 0xaa], 'DER_NON_MINIMAL_LENGTH'],
      [[0x04, 0x82, 0x00, 0x81, ...new Array(0x81).fill(0)], 'DER_NON_MINIMAL_LENGTH'],
      [[0x30, 0x80, 0x00, 0x00], 'DER_INVALID_LENGTH'],
      [[0x04, 0x01, 0xaa, 0x00], 'DER_TRAILING_DATA'],
      [[0x04, 0x05, 0xaa], 'DER_TRUNCATED'],
      [[0x00, 0x00], 'DER_UNSUPPORTED_TAG'],
    ]
    for (const [bytes, code] of cases) {
      expect(() => readDer(Uint8Array.from(bytes))).toThrow(expect.objectContaining({ code }))
      expect(() => readDer(Uint8Array.from(bytes))).toThrow(DerError)
    }
    expect(() => readNode(Uint8Array.of(0x30))).toThrow(expect.objectContaining({ code: 'DER_TRUNCATED' }))
  })
})

describe('decodeTime', () => {
  it('decodes what the writer writes and refuses out-of-range fields instead of rolling them over', () => {
    const at = new Date(Date.UTC(2031, 1, 28, 23, 59, 59, 250))
    expect(decodeTime(readDer(derGeneralizedTime(at, true))).getTime()).toBe(at.getTime())
    for (const text of ['20310231000000Z', '20311301000000Z', '20310101240000Z', '20310101000000.50Z'])
      expect(() => decodeTime(readDer(Uint8Array.from([0x18, text.length, ...Buffer.from(text)])))).toThrow(
        expect.objectContaining({ code: 'DER_INVALID_VALUE' }),
      )
  })
})
