import { fail } from './errors.js'

const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/

/**
 * Strict base64 decoding for bundle fields. Node's decoder silently skips junk ("INVALID!!!"), which
 * would let a corrupted field decode to *something*; protobuf JSON allows standard or URL-safe
 * alphabets, with or without padding, but nothing else.
 */
export function decodeBase64(input: unknown, field: string): Buffer {
  if (typeof input !== 'string') return fail('VERIFIER_MALFORMED_BUNDLE', `${field} must be a base64 string`)
  let value: string = input
  // Line breaks are tolerated (Go's and Python's decoders skip them; MIME-wrapped tokens exist in the wild).
  if (value.includes('\n')) value = value.replace(/\r?\n/g, '')
  if (BASE64_PATTERN.test(value)) return Buffer.from(value, 'base64')
  if (BASE64URL_PATTERN.test(value) && value.length % 4 !== 1) return Buffer.from(value, 'base64url')
  return fail('VERIFIER_MALFORMED_BUNDLE', `${field} is not valid base64`)
}

const HEX_PATTERN = /^(?:[0-9a-fA-F]{2})*$/

/** Strict hex decoding (even length, hex digits only). */
export function decodeHex(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || !HEX_PATTERN.test(value)) {
    fail('VERIFIER_MALFORMED_BUNDLE', `${field} is not valid hex`)
  }
  return Buffer.from(value, 'hex')
}
