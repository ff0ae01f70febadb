// Big-endian unsigned integers as the curve code reads and writes them: digests and coordinates to bigint, scalars
// and field elements back to fixed-length bytes.

/** The unsigned big-endian integer `bytes` encode (0 for no bytes). */
export function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0
    ? 0n
    : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`)
}

/** `value` as exactly `length` big-endian bytes (`value` must fit). */
export function toBytes(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex')
}
