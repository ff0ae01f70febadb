import { describe, expect, it } from 'vitest'
import { content, decodeOid, decodeTime, readNode } from './reader.js'
import {
  derGeneralizedTime,
  derImplicit,
  derInteger,
  derOid,
  derSetOf,
  derUtcTime,
  derValidityTime,
} from './writer.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('DER writer', () => {
  it('encodes integers minimally, adding a zero octet before a set high bit', () => {
    expect(hex(derInteger(0))).toBe('020100')
    expect(hex(derInteger(127))).toBe('02017f')
    expect(hex(derInteger(128))).toBe('02020080')
    expect(hex(derInteger(256n))).toBe('02020100')
    expect(hex(derInteger(Uint8Array.of(0, 0, 0x80)))).toBe('02020080')
    expect(hex(derInteger(Uint8Array.of(0, 0, 1)))).toBe('020101')
    expect(() => derInteger(-1)).toThrow(RangeError)
  })

  it('encodes a bigint exactly as its big-endian bytes, at every length and high bit (odd hex lengths too)', () => {
    for (let bits = 1; bits <= 521; bits += 7) {
      for (const value of [(1n << BigInt(bits)) - 1n, 1n << BigInt(bits - 1), BigInt(bits) * 0x1234567n]) {
        let bytesHex = value.toString(16)
        if (bytesHex.length % 2 === 1) bytesHex = `0${bytesHex}`
        expect(hex(derInteger(value))).toBe(hex(derInteger(Buffer.from(bytesHex, 'hex'))))
        // And it reads back as the same integer.
        const body = content(readNode(derInteger(value)))
        expect(BigInt(`0x${Buffer.from(body).toString('hex')}`)).toBe(value)
      }
    }
  })

  it('round-trips OIDs with large arcs through the reader', () => {
    for (const oid of ['1.2.840.113549.1.7.2', '2.25.196124845614039613792712513375283319994', '2.999.3']) {
      expect(decodeOid(readNode(derOid(oid)))).toBe(oid)
    }
    expect(hex(derOid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302')
    expect(() => derOid('3.1')).toThrow(RangeError)
    expect(() => derOid('1.02')).toThrow(RangeError)
  })

  it('sorts SET OF members by encoding', () => {
    const set = derSetOf(Uint8Array.of(0x04, 0x01, 0x02), Uint8Array.of(0x02, 0x01, 0x05))
    expect(hex(set)).toBe('3106020105040102')
  })

  it('writes times the reader (and OpenSSL, through X509Certificate elsewhere) reads back', () => {
    const date = new Date('2031-04-05T06:07:08.250Z')
    expect(Buffer.from(content(readNode(derGeneralizedTime(date))))).toEqual(Buffer.from('20310405060708Z'))
    expect(Buffer.from(content(readNode(derGeneralizedTime(date, true))))).toEqual(
      Buffer.from('20310405060708.25Z'),
    )
    expect(decodeTime(readNode(derUtcTime(date))).toISOString()).toBe('2031-04-05T06:07:08.000Z')
    expect(readNode(derValidityTime(new Date('2050-01-01T00:00:00Z'))).tag).toBe(0x18)
    expect(() => derUtcTime(new Date('2050-01-01T00:00:00Z'))).toThrow(RangeError)
  })

  it('retags implicitly, keeping the constructed bit', () => {
    expect(derImplicit(0, Uint8Array.of(0x31, 0x00))[0]).toBe(0xa0)
    expect(derImplicit(0, Uint8Array.of(0x04, 0x00))[0]).toBe(0x80)
  })
})
