import { isUtf8 } from 'node:buffer'
import { bufferView, content, DerError, type DerNode } from '../der.js'

/** UTF8String content; invalid UTF-8 is a DerError, never a replacement character. */
export function utf8String(node: DerNode): string {
  if (node.tag !== 0x0c) throw new DerError({ code: 'DER_UNEXPECTED_TAG', message: 'expected a UTF8String' })
  const bytes = bufferView(content(node))
  if (!isUtf8(bytes)) throw new DerError({ code: 'DER_INVALID_VALUE', message: 'UTF8String is not UTF-8' })
  return bytes.toString('utf8')
}

/** IA5String content (URI, rfc822Name, dNSName, IA5String): 7-bit only. */
export function ia5String(node: DerNode): string {
  const bytes = content(node)
  for (const byte of bytes)
    if (byte > 0x7f)
      throw new DerError({ code: 'DER_INVALID_VALUE', message: 'IA5String holds a non-ASCII octet' })
  return bufferView(bytes).toString('latin1')
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/

// Numeric, Printable, Teletex, IA5, Visible, Universal, BMP and UTF8 strings: the types name attributes use.
const STRING_TAGS = new Set([0x12, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e, 0x0c])

/**
 * Checks a name attribute value: one of the string types, with UTF8String, PrintableString and IA5String content
 * checked against their repertoires (legacy Teletex/BMP/Universal strings pass unchecked: names are compared as
 * bytes, never interpreted).
 */
export function checkDirectoryString(node: DerNode): void {
  if (!STRING_TAGS.has(node.tag))
    throw new DerError({ code: 'DER_UNEXPECTED_TAG', message: 'name attribute value is not a string' })
  if (node.tag === 0x0c) utf8String(node)
  else if (node.tag === 0x16) ia5String(node)
  else if (node.tag === 0x13 && !PRINTABLE.test(bufferView(content(node)).toString('latin1')))
    throw new DerError({
      code: 'DER_INVALID_VALUE',
      message: 'PrintableString holds a character outside its set',
    })
}
