import { content, DerError, type DerNode } from '../der/reader.js'

// Strict decoders for the primitive values certificates carry. DER allows exactly one encoding of each.

/** BOOLEAN: one octet, 0x00 or 0xff (X.690 §11.1). */
export function decodeBoolean(node: DerNode): boolean {
  const value = content(node)
  if (node.tag !== 0x01) throw new DerError({ code: 'DER_UNEXPECTED_TAG', message: 'expected a BOOLEAN' })
  if (value.length !== 1 || (value[0] !== 0x00 && value[0] !== 0xff))
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'BOOLEAN must be 0x00 or 0xff' })
  return value[0] === 0xff
}

/** Checks an INTEGER's encoding is minimal (X.690 §8.3.2) and returns its content octets. */
export function integerContent(node: DerNode): Uint8Array {
  if (node.tag !== 0x02) throw new DerError({ code: 'DER_UNEXPECTED_TAG', message: 'expected an INTEGER' })
  const value = content(node)
  if (value.length === 0) throw new DerError({ code: 'DER_INVALID_VALUE', message: 'empty INTEGER' })
  if (
    value.length > 1 &&
    ((value[0] === 0x00 && value[1]! < 0x80) || (value[0] === 0xff && value[1]! >= 0x80))
  )
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'INTEGER is not minimally encoded' })
  return value
}

/** A non-negative INTEGER that fits in 31 bits (versions, path lengths). */
export function decodeSmallInteger(node: DerNode): number {
  const value = integerContent(node)
  if (value[0]! & 0x80) throw new DerError({ code: 'DER_INVALID_VALUE', message: 'negative INTEGER' })
  if (value.length > 5 || (value.length === 5 && value[0] !== 0))
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'INTEGER too large' })
  let result = 0
  for (const byte of value) result = result * 256 + byte
  if (result > 0x7fffffff) throw new DerError({ code: 'DER_INVALID_VALUE', message: 'INTEGER too large' })
  return result
}

/** BIT STRING content: the unused-bit count (0–7, 0 when empty) and padding bits that are zero. */
export function bitStringBytes(node: DerNode): { bytes: Uint8Array; unusedBits: number } {
  if (node.tag !== 0x03) throw new DerError({ code: 'DER_UNEXPECTED_TAG', message: 'expected a BIT STRING' })
  const value = content(node)
  const unusedBits = value[0]
  if (unusedBits === undefined || unusedBits > 7 || (value.length === 1 && unusedBits !== 0))
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'bad BIT STRING unused-bit count' })
  const bytes = value.subarray(1)
  if (bytes.length > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0)
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'BIT STRING padding bits are not zero' })
  return { bytes, unusedBits }
}
