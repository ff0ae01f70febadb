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

export class DerError extends Error {}

/** Reads one TLV at `offset`; throws DerError on truncated or non-DER lengths. */
export function readNode(bytes: Uint8Array, offset = 0, limit = bytes.length): DerNode {
  if (offset + 2 > limit) throw new DerError('truncated DER element')
  const tag = bytes[offset]!
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported')
  let length = bytes[offset + 1]!
  let cursor = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 4) throw new DerError('unsupported DER length')
    if (cursor + count > limit) throw new DerError('truncated DER length')
    length = 0
    for (let index = 0; index < count; index++) length = length * 256 + bytes[cursor + index]!
    cursor += count
  }
  const end = cursor + length
  if (end > limit) throw new DerError('DER element overruns its parent')
  return { tag, start: offset, contentStart: cursor, end, bytes }
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

/** Content octets of a node. */
export function content(node: DerNode): Uint8Array {
  return node.bytes.subarray(node.contentStart, node.end)
}

/** The full encoding (tag + length + content) of a node. */
export function encoding(node: DerNode): Uint8Array {
  return node.bytes.subarray(node.start, node.end)
}

/** Decodes an OBJECT IDENTIFIER node into dotted form. */
export function decodeOid(node: DerNode): string {
  if (node.tag !== 0x06) throw new DerError('expected an OBJECT IDENTIFIER')
  const data = content(node)
  if (data.length === 0) throw new DerError('empty OBJECT IDENTIFIER')
  const parts: bigint[] = []
  // BigInt: UUID-derived arcs (2.25.<128-bit>) overflow a double.
  let value = 0n
  for (let index = 0; index < data.length; index++) {
    const byte = data[index]!
    value = value * 128n + BigInt(byte & 0x7f)
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80n ? value / 40n : 2n
        parts.push(first, value - first * 40n)
      } else {
        parts.push(value)
      }
      value = 0n
    }
  }
  if (value !== 0n || (data[data.length - 1]! & 0x80) !== 0) throw new DerError('truncated OBJECT IDENTIFIER')
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

/** Decodes a GeneralizedTime or UTCTime node. */
export function decodeTime(node: DerNode): Date {
  const text = Buffer.from(content(node)).toString('latin1')
  if (node.tag === 0x17) {
    const match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    if (!match) throw new DerError('bad UTCTime')
    const year = Number(match[1]) >= 50 ? 1900 + Number(match[1]) : 2000 + Number(match[1])
    return new Date(
      Date.UTC(
        year,
        Number(match[2]) - 1,
        Number(match[3]),
        Number(match[4]),
        Number(match[5]),
        Number(match[6]),
      ),
    )
  }
  if (node.tag === 0x18) {
    const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z$/.exec(text)
    if (!match) throw new DerError('bad GeneralizedTime')
    const millis = match[7] ? Number(`0.${match[7]}`) * 1000 : 0
    return new Date(
      Date.UTC(
        Number(match[1]),
        Number(match[2]) - 1,
        Number(match[3]),
        Number(match[4]),
        Number(match[5]),
        Number(match[6]),
      ) + Math.floor(millis),
    )
  }
  throw new DerError('expected a time')
}
