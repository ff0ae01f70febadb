import { ServiceError } from './errors.js'

/**
 * How a bare signature is written: `base64` (ours, Sigstore's), `hex` (the production guide's clients:
 * `signature.hex()`), or `auto`. Hex digits are also base64 characters, so `auto` does not guess: it returns every
 * reading the text allows (hex first), and the caller verifies each. A wrong reading cannot verify — that would be
 * a forgery — so the outcome never depends on which reading was meant.
 */
export type SignatureEncoding = 'auto' | 'base64' | 'hex'

const HEX = /^(?:[0-9a-fA-F]{2})+$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * The byte strings `text` can stand for under `encoding`.
 * @throws ServiceError `SERVICE_BAD_REQUEST` when it is neither (or not the one named)
 */
export function signatureReadings(text: string, encoding: SignatureEncoding = 'auto'): Buffer[] {
  const readings: Buffer[] = []
  if (encoding !== 'base64' && HEX.test(text)) readings.push(Buffer.from(text, 'hex'))
  // Unpadded base64 is accepted too (some clients strip '='), but only canonically: the length must allow it.
  const padded =
    text.length % 4 === 0
      ? text
      : text.length % 4 === 1
        ? undefined
        : text.padEnd(text.length + (4 - (text.length % 4)), '=')
  if (encoding !== 'hex' && text.length > 0 && padded !== undefined && BASE64.test(padded)) {
    const bytes = Buffer.from(padded, 'base64')
    if (!readings.some((reading) => reading.equals(bytes))) readings.push(bytes)
  }
  if (readings.length === 0) {
    throw new ServiceError({
      code: 'SERVICE_BAD_REQUEST',
      message:
        encoding === 'auto'
          ? 'the signature is neither hex nor base64'
          : `the signature is not ${encoding === 'hex' ? 'hex (an even number of hex digits)' : 'standard base64'}`,
      details: { field: 'signature' },
    })
  }
  return readings
}
