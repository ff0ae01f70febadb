import { CoreError } from './errors.js'

/** A parsed `sha256:<64 hex>` digest. */
export interface Sha256Digest {
  algorithm: 'sha256'
  /** Lower-case hex, 64 characters. */
  hex: string
}

/**
 * A `sha256:<64 hex>` digest as a string. The template type lets TypeScript tell a digest from any other
 * string (a file path, a text) where an API takes either bytes or a digest.
 */
export type Sha256DigestString = `sha256:${string}`

const SHA256_DIGEST_PATTERN = /^sha256:([0-9a-fA-F]{64})$/

/** True when `value` is exactly `sha256:` followed by 64 hex digits. */
export function isSha256Digest(value: unknown): value is Sha256DigestString {
  return typeof value === 'string' && SHA256_DIGEST_PATTERN.test(value)
}

/**
 * Parses `sha256:<64 hex>` (hex in either case) into its parts, normalising to lower case.
 * @throws CoreError with code `CORE_INVALID_DIGEST` for anything else.
 */
export function parseSha256Digest(value: string): Sha256Digest {
  const match = typeof value === 'string' ? SHA256_DIGEST_PATTERN.exec(value) : null
  if (!match) {
    throw new CoreError({
      code: 'CORE_INVALID_DIGEST',
      message: 'expected a digest of the form sha256:<64 hex digits>',
    })
  }
  return { algorithm: 'sha256', hex: match[1]!.toLowerCase() }
}

/** Formats raw SHA-256 bytes or hex as `sha256:<hex>`. */
export function formatSha256Digest(digest: Uint8Array | string): string {
  const hex = typeof digest === 'string' ? digest.toLowerCase() : Buffer.from(digest).toString('hex')
  return `sha256:${hex}`
}
