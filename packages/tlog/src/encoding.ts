import { createHash } from 'node:crypto'

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const BASE64_URL = /^[A-Za-z0-9_-]*={0,2}$/

/** Lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Standard padded base64. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** Strict standard base64 (Buffer alone silently skips junk); undefined when malformed. */
export function fromBase64(value: string): Uint8Array | undefined {
  if (!BASE64.test(value)) return undefined
  return new Uint8Array(Buffer.from(value, 'base64'))
}

/** Standard or URL-safe base64 (DSSE allows either); undefined when malformed. */
export function fromAnyBase64(value: string): Uint8Array | undefined {
  return (
    fromBase64(value) ??
    (BASE64_URL.test(value) ? new Uint8Array(Buffer.from(value, 'base64url')) : undefined)
  )
}

/** Hash of some bytes with a node:crypto algorithm name. */
export function digestOf(algorithm: string, data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash(algorithm).update(data).digest())
}

/** Byte equality. */
export function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  return Buffer.from(left.buffer, left.byteOffset, left.byteLength).equals(right)
}
