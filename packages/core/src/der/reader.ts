import { defineErrorClass } from '../errors.js'

/**
 * A minimal DER reader: just enough to walk certificates (extensions, SANs, SCTs), basic constraints
 * and CMS structures without re-encoding anything. Every element keeps its byte offsets so callers can
 * slice the original encoding (re-encoding is where other verifiers spend their time).
 */
export interface DerNode {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  tag: number
  /** Offset of the identifier octet in `bytes`. */
  start: number
  /** Offset of the first content octet. */
  contentStart: number
  /** Offset just past the last content octet. */
  end: number
  bytes: Uint8Array
}

/**
 * Stable codes of {@link DerError}: which DER rule (X.690 §8, §10) the input broke.
 */
export type DerErrorCode =
  /** The input ends inside an element (identifier, length or content). */
  | 'DER_TRUNCATED'
  /** A multi-octet tag number (tag 31 and above: no structure we read uses one), or end-of-contents (0x00). */
  | 'DER_UNSUPPORTED_TAG'
  /** Indefinite length (BER only) or a length needing more than four octets. */
  | 'DER_INVALID_LENGTH'
  /** A length not in its shortest form (long form below 128, or leading zero octets): BER, not DER. */
  | 'DER_NON_MINIMAL_LENGTH'
  /** Bytes left over after the element (or after the last child of a constructed element). */
  | 'DER_TRAILING_DATA'
  /** A primitive value that breaks its type's DER encoding (OID, BOOLEAN, INTEGER, time). */
  | 'DER_INVALID_VALUE'
  /** An element of another type than the structure requires here. */
  | 'DER_UNEXPECTED_TAG'

// Typed through ReturnType so the declaration build does not need the base class's private marker.
const DerErrorBase: ReturnType<typeof defineErrorClass<DerErrorCode>> = defineErrorClass<DerErrorCode>(
  'DerError',
  {
    // Every DER rule a caller's bytes can break: the input is unusable.
    DER_TRUNCATED: 'invalid_input',
    DER_UNSUPPORTED_TAG: 'invalid_input',
    DER_INVALID_LENGTH: 'invalid_input',
    DER_NON_MINIMAL_LENGTH: 'invalid_input',
    DER_TRAILING_DATA: 'invalid_input',
    DER_INVALID_VALUE: 'invalid_input',
    DER_UNEXPECTED_TAG: 'invalid_input',
  },
)

/** Malformed DER. `code` names the rule; `instanceof DerError` and `DerError.is()` both work. */
export class DerError extends DerErrorBase {}

function derFail(code: DerErrorCode, message: string): never {
  throw new DerError({ code, message })
}

/**
 * Reads one TLV at `offset`. Strict DER: definite lengths in their shortest form only.
 * @throws DerError `DER_TRUNCATED`, `DER_UNSUPPORTED_TAG`, `DER_INVALID_LENGTH` or `DER_NON_MINIMAL_LENGTH`.
 */
export function readNode(bytes: Uint8Array, offset = 0, limit = bytes.length): DerNode {
  if (offset + 2 > limit) derFail('DER_TRUNCATED', 'truncated DER element')
  const tag = bytes[offset]!
  if ((tag & 0x1f) === 0x1f) derFail('DER_UNSUPPORTED_TAG', 'high tag numbers are not supported')
  // Universal tag 0 is the BER end-of-contents marker: never an element in DER.
  if (tag === 0x00) derFail('DER_UNSUPPORTED_TAG', 'end-of-contents octets are not DER')
  let length = bytes[offset + 1]!
  let cursor = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0) derFail('DER_INVALID_LENGTH', 'indefinite length is not DER')
    if (count > 4) derFail('DER_INVALID_LENGTH', 'DER length longer than four octets')
    if (cursor + count > limit) derFail('DER_TRUNCATED', 'truncated DER length')
    if (bytes[cursor] === 0) derFail('DER_NON_MINIMAL_LENGTH', 'DER length has leading zero octets')
    length = 0
    for (let index = 0; index < count; index++) length = length * 256 + bytes[cursor + index]!
    if (length < 0x80) derFail('DER_NON_MINIMAL_LENGTH', 'DER length below 128 in long form')
    cursor += count
  }
  const end = cursor + length
  if (end > limit) derFail('DER_TRUNCATED', 'DER element overruns its parent')
  return { tag, start: offset, contentStart: cursor, end, bytes }
}

/**
 * Reads `bytes` as exactly one DER element (nothing before or after it), optionally of the given tag.
 * @throws DerError as {@link readNode}, `DER_TRAILING_DATA` or `DER_UNEXPECTED_TAG`.
 */
export function readDer(bytes: Uint8Array, tag?: number): DerNode {
  const node = readNode(bytes)
  if (node.end !== bytes.length) derFail('DER_TRAILING_DATA', 'bytes follow the DER element')
  if (tag !== undefined && node.tag !== tag)
    derFail('DER_UNEXPECTED_TAG', `expected tag 0x${tag.toString(16)}`)
  return node
}

/** The child elements of a constructed node. */
export function children(node: DerNode): DerNode[] {
  const result: DerNode[] = []
  let cursor = node.contentStart
  while (cursor < node.end) {
    const child = readNode(node.bytes, cursor, node.end)
    result.push(child)
    cursor = child.end
  }
  return result
}

/** A Buffer view of `bytes` (no copy), for string conversions. */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Content octets of a node. */
export function content(node: DerNode): Uint8Array {
  return node.bytes.subarray(node.contentStart, node.end)
}

/** The full encoding (tag + length + content) of a node. */
export function encoding(node: DerNode): Uint8Array {
  return node.bytes.subarray(node.start, node.end)
}

const MAX_OID_OCTETS = 128

/** Decodes an OBJECT IDENTIFIER node into dotted form. @throws DerError `DER_UNEXPECTED_TAG`, `DER_INVALID_VALUE`. */
export function decodeOid(node: DerNode): string {
  if (node.tag !== 0x06) derFail('DER_UNEXPECTED_TAG', 'expected an OBJECT IDENTIFIER')
  const data = content(node)
  // Certificates repeat the same few dozen OIDs: remember decoded ones by their (short) encoding.
  const key = data.length <= 32 ? bufferView(data).toString('latin1') : undefined
  const cached = key === undefined ? undefined : oidCache.get(key)
  if (cached !== undefined) return cached
  const dotted = decodeOidContent(data)
  if (key !== undefined) {
    if (oidCache.size >= OID_CACHE_SIZE) oidCache.clear()
    oidCache.set(key, dotted)
  }
  return dotted
}

const OID_CACHE_SIZE = 512
const oidCache = new Map<string, string>()

function decodeOidContent(data: Uint8Array): string {
  if (data.length === 0) derFail('DER_INVALID_VALUE', 'empty OBJECT IDENTIFIER')
  // Far beyond any real OID (UUID arcs take ~20 octets); bounds the work on hostile input.
  if (data.length > MAX_OID_OCTETS) derFail('DER_INVALID_VALUE', 'OBJECT IDENTIFIER too long')
  const parts: Array<number | bigint> = []
  // Numbers while a subidentifier stays below 2^46 (so value * 128 + 127 is exact); BigInt beyond, for
  // UUID-derived arcs (2.25.<128-bit>) that overflow a double. Real OIDs never leave the fast path.
  let value: number | bigint = 0
  for (let index = 0; index < data.length; index++) {
    const byte = data[index]!
    // X.690 §8.19.2: a subidentifier never starts with 0x80 (that would be a non-minimal encoding).
    if (byte === 0x80 && (index === 0 || (data[index - 1]! & 0x80) === 0))
      derFail('DER_INVALID_VALUE', 'OBJECT IDENTIFIER subidentifier is not minimally encoded')
    if (typeof value === 'number' && value < 2 ** 46) value = value * 128 + (byte & 0x7f)
    else value = BigInt(value) * 128n + BigInt(byte & 0x7f)
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) {
        // The first subidentifier packs two arcs: 40 * first + second, first ∈ {0, 1, 2}.
        const first = value < 80 ? Math.floor(Number(value) / 40) : 2
        parts.push(first, typeof value === 'number' ? value - first * 40 : value - BigInt(first * 40))
      } else {
        parts.push(value)
      }
      value = 0
    }
  }
  if ((data[data.length - 1]! & 0x80) !== 0) derFail('DER_INVALID_VALUE', 'truncated OBJECT IDENTIFIER')
  return parts.join('.')
}

/** Encodes a DER length prefix. */
export function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length)
  const octets: number[] = []
  let rest = length
  while (rest > 0) {
    octets.unshift(rest & 0xff)
    rest = Math.floor(rest / 256)
  }
  return Uint8Array.of(0x80 | octets.length, ...octets)
}

/** Wraps `parts` into one TLV with the given tag. */
export function encodeTlv(tag: number, parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts)
  return Buffer.concat([Uint8Array.of(tag), encodeLength(body.length), body])
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/

/**
 * Decodes a GeneralizedTime or UTCTime node (DER: UTC with `Z`, seconds present, fractions without trailing
 * zeros). Out-of-range fields (month 13, 31 February) are rejected rather than rolled over by `Date.UTC`.
 * @throws DerError `DER_INVALID_VALUE` or `DER_UNEXPECTED_TAG`.
 */
export function decodeTime(node: DerNode): Date {
  if (node.tag !== 0x17 && node.tag !== 0x18) derFail('DER_UNEXPECTED_TAG', 'expected a time')
  const text = bufferView(content(node)).toString('latin1')
  const match = (node.tag === 0x17 ? UTC_TIME : GENERALIZED_TIME).exec(text)
  if (!match) derFail('DER_INVALID_VALUE', node.tag === 0x17 ? 'bad UTCTime' : 'bad GeneralizedTime')
  const fields = match.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const [rawYear, month, day, hours, minutes, seconds] = fields
  // UTCTime years: 50–99 are 19xx, 00–49 are 20xx (RFC 5280 §4.1.2.5.1).
  const year = node.tag === 0x17 ? (rawYear >= 50 ? 1900 + rawYear : 2000 + rawYear) : rawYear
  const millis = match[7] ? Math.floor(Number(`0.${match[7]}`) * 1000) : 0
  const date = new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds, millis))
  // Date.UTC treats years 0–99 as 1900–1999; setUTCFullYear keeps the year as written.
  date.setUTCFullYear(year)
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hours ||
    date.getUTCMinutes() !== minutes ||
    date.getUTCSeconds() !== seconds
  ) {
    derFail('DER_INVALID_VALUE', 'time field out of range')
  }
  return date
}
