import { createHash } from 'node:crypto'

const HEX_PATTERN = /^(?:[0-9a-fA-F]{2})*$/
// Groups of four alphabet characters, the last one possibly ending in "=" or "==". Checked as "length a multiple of
// four" plus a group-free character class: the same language as /^(?:[A-Za-z0-9+/]{4})*(?:..==|...=)?$/, several
// times faster on the kilobyte-long entry bodies a log decodes for every append.
const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*={0,2}$/

/** Lower-case hex of some bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Strict hex decoding: returns undefined for odd length or non-hex characters (Buffer silently truncates). */
export function fromHex(hex: string): Uint8Array | undefined {
  if (typeof hex !== 'string' || !HEX_PATTERN.test(hex)) return undefined
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** Strict standard-base64 decoding (padding required): undefined for anything Buffer would silently accept. */
export function fromBase64(value: string): Uint8Array | undefined {
  if (typeof value !== 'string' || value.length % 4 !== 0) return undefined
  const decoded = Buffer.from(value, 'base64')
  // Canonical text (what every encoder writes) re-encodes to itself: that check runs natively and costs less than
  // the pattern scan on kilobyte-long entry bodies. Text that does not (stray characters Buffer skipped, or non-zero
  // padding bits, which readers of Sigstore bundles accept) is judged by the grammar.
  if (decoded.toString('base64') !== value && !BASE64_PATTERN.test(value)) return undefined
  return new Uint8Array(decoded)
}

/** Standard or URL-safe base64 (DSSE allows either): undefined when malformed. */
export function fromAnyBase64(value: string): Uint8Array | undefined {
  return (
    fromBase64(value) ??
    (typeof value === 'string' && BASE64URL_PATTERN.test(value)
      ? new Uint8Array(Buffer.from(value, 'base64url'))
      : undefined)
  )
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'))
}

/** SHA-256 of the concatenation of the parts. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}

/** Constant-shape byte comparison (lengths first). */
export function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false
  let difference = 0
  for (let index = 0; index < left.length; index++) difference |= left[index]! ^ right[index]!
  return difference === 0
}
