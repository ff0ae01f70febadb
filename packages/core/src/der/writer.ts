import { encodeTlv } from './reader.js'

/**
 * A small DER writer: the element constructors that certificates, CMS SignedData and RFC 3161 responses need.
 * Each returns the complete encoding (tag, length, content) so callers compose them like the ASN.1 they mirror.
 */

/** DER tag numbers (universal class) used by the writers below. */
export const DER_TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const

/** `SEQUENCE { parts… }`. */
export function derSequence(...parts: Uint8Array[]): Uint8Array {
  return encodeTlv(DER_TAG.SEQUENCE, parts)
}

/** `SET OF { parts… }`, sorted by encoding as DER requires (X.690 §11.6). */
export function derSetOf(...parts: Uint8Array[]): Uint8Array {
  const sorted = [...parts].sort((left, right) => Buffer.compare(left, right))
  return encodeTlv(DER_TAG.SET, sorted)
}

/**
 * An INTEGER from a non-negative `bigint`/`number`, or from unsigned big-endian bytes (serial numbers, nonces):
 * leading zero octets are trimmed and one is added back when the high bit would make the value negative.
 */
export function derInteger(value: bigint | number | Uint8Array): Uint8Array {
  let bytes: Uint8Array
  if (value instanceof Uint8Array) {
    bytes = value
  } else {
    const integer = BigInt(value)
    if (integer < 0n) throw new RangeError('derInteger encodes non-negative integers only')
    // Through hex: a byte at a time in bigint arithmetic cost ~5 µs per 256-bit value, a tenth of an OpenSSL
    // signature, paid twice by every signature assembled here (issue 12).
    const hex = integer.toString(16)
    bytes = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex')
  }
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  const trimmed = bytes.subarray(start)
  const body = trimmed.length === 0 ? Uint8Array.of(0) : trimmed
  return encodeTlv(DER_TAG.INTEGER, (body[0]! & 0x80) === 0 ? [body] : [Uint8Array.of(0), body])
}

/** `BOOLEAN` (DER: true is 0xff). */
export function derBoolean(value: boolean): Uint8Array {
  return encodeTlv(DER_TAG.BOOLEAN, [Uint8Array.of(value ? 0xff : 0x00)])
}

/** `NULL`. */
export function derNull(): Uint8Array {
  return Uint8Array.of(DER_TAG.NULL, 0x00)
}

/** `OCTET STRING`. */
export function derOctetString(bytes: Uint8Array): Uint8Array {
  return encodeTlv(DER_TAG.OCTET_STRING, [bytes])
}

/** `BIT STRING` with `unusedBits` padding bits at the end of the last octet. */
export function derBitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  return encodeTlv(DER_TAG.BIT_STRING, [Uint8Array.of(unusedBits), bytes])
}

/** `UTF8String`. */
export function derUtf8String(text: string): Uint8Array {
  return encodeTlv(DER_TAG.UTF8_STRING, [Buffer.from(text, 'utf8')])
}

/** `PrintableString`; throws RangeError for characters outside its alphabet. */
export function derPrintableString(text: string): Uint8Array {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)) throw new RangeError('not a PrintableString')
  return encodeTlv(DER_TAG.PRINTABLE_STRING, [Buffer.from(text, 'latin1')])
}

/** `OBJECT IDENTIFIER` from dotted form (`1.2.840.113549.1.7.2`). */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^(?:0|[1-9][0-9]*)$/.test(arc)) throw new RangeError(`bad OID ${dotted}`)
    return BigInt(arc)
  })
  if (arcs.length < 2 || arcs[0]! > 2n) throw new RangeError(`bad OID ${dotted}`)
  const octets: number[] = []
  const values = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]
  for (const value of values) {
    const group: number[] = [Number(value & 0x7fn)]
    let rest = value >> 7n
    while (rest > 0n) {
      group.unshift(Number(rest & 0x7fn) | 0x80)
      rest >>= 7n
    }
    octets.push(...group)
  }
  return encodeTlv(DER_TAG.OID, [Uint8Array.from(octets)])
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0')
}

/**
 * `GeneralizedTime` in UTC. Whole seconds unless `withMillis` (then fractional seconds without trailing zeros,
 * as DER requires).
 */
export function derGeneralizedTime(date: Date, withMillis = false): Uint8Array {
  const base = `${date.getUTCFullYear()}${twoDigits(date.getUTCMonth() + 1)}${twoDigits(date.getUTCDate())}${twoDigits(date.getUTCHours())}${twoDigits(date.getUTCMinutes())}${twoDigits(date.getUTCSeconds())}`
  const millis = date.getUTCMilliseconds()
  const fraction = withMillis && millis > 0 ? `.${String(millis).padStart(3, '0').replace(/0+$/, '')}` : ''
  return encodeTlv(DER_TAG.GENERALIZED_TIME, [Buffer.from(`${base}${fraction}Z`, 'latin1')])
}

/** `UTCTime` (years 1950–2049), as RFC 5280 requires for certificate validity dates before 2050. */
export function derUtcTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear()
  if (year < 1950 || year > 2049) throw new RangeError('UTCTime covers 1950–2049 only')
  const text = `${twoDigits(year % 100)}${twoDigits(date.getUTCMonth() + 1)}${twoDigits(date.getUTCDate())}${twoDigits(date.getUTCHours())}${twoDigits(date.getUTCMinutes())}${twoDigits(date.getUTCSeconds())}Z`
  return encodeTlv(DER_TAG.UTC_TIME, [Buffer.from(text, 'latin1')])
}

/** A certificate validity time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
export function derValidityTime(date: Date): Uint8Array {
  return date.getUTCFullYear() < 2050 ? derUtcTime(date) : derGeneralizedTime(date)
}

/** `[number] EXPLICIT` context-specific wrapper around complete encodings. */
export function derExplicit(number: number, ...parts: Uint8Array[]): Uint8Array {
  return encodeTlv(0xa0 | number, parts)
}

/**
 * `[number] IMPLICIT` context-specific retagging of one complete encoding: keeps its content and its constructed bit.
 */
export function derImplicit(number: number, element: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(element)
  copy[0] = 0x80 | (element[0]! & 0x20) | number
  return copy
}
