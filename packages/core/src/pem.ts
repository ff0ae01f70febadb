import { fromBase64, toBase64 } from './encoding.js'

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/

/**
 * PEM text of DER bytes the way Go's `pem.Encode` writes it (and Rekor stores it): the BEGIN line, base64 in
 * 64-character lines, the END line, a trailing newline.
 * @example toPem('CERTIFICATE', der)
 */
export function toPem(label: string, der: Uint8Array): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

/** The first PEM block of `text`: its label and DER bytes; undefined when there is none or its base64 is not strict. */
export function fromPem(text: string): { label: string; der: Uint8Array } | undefined {
  const match = typeof text === 'string' ? PEM_BLOCK.exec(text) : null
  if (!match) return undefined
  const der = fromBase64(match[2]!.replace(/\s+/g, ''))
  return der ? { label: match[1]!, der } : undefined
}
