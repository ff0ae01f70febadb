import { isUtf8 } from 'node:buffer'
import { bufferView, content, DerError, type DerNode } from '../der/reader.js'

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

// RFC 5280's DirectoryString (Printable, Teletex, Universal, BMP, UTF8), plus IA5 (emailAddress, domainComponent)
// and Numeric, which attributes of their own use. VisibleString is not among them (found by the differential test).
const STRING_TAGS = new Set([0x12, 0x13, 0x14, 0x16, 0x1c, 0x1e, 0x0c])

/**
 * Checks a name attribute value: one of the string types, with UTF8String, PrintableString and IA5String content
 * checked against their repertoires (legacy Teletex/BMP/Universal strings pass unchecked: names are compared as
 * bytes, never interpreted).
 */
export function checkDirectoryString(node: DerNode): void {
  if (!STRING_TAGS.has(node.tag))
    throw new DerError({ code: 'DER_UNEXPECTED_TAG', message: 'name attribute value is not a string' })
  if (node.tag === 0x1c || node.tag === 0x1e) wideString(node, node.tag === 0x1c ? 4 : 2)
  else if (node.tag === 0x0c) utf8String(node)
  else if (node.tag === 0x16) ia5String(node)
  else if (node.tag === 0x13 && !PRINTABLE.test(bufferView(content(node)).toString('latin1')))
    throw new DerError({
      code: 'DER_INVALID_VALUE',
      message: 'PrintableString holds a character outside its set',
    })
}

/** UniversalString (UCS-4) and BMPString (UCS-2): whole code units, each a Unicode scalar value. */
function wideString(node: DerNode, unit: 2 | 4): void {
  const bytes = content(node)
  let valid = bytes.length % unit === 0
  for (let offset = 0; valid && offset < bytes.length; offset += unit) {
    const code = unit === 4 ? bufferView(bytes).readUInt32BE(offset) : bufferView(bytes).readUInt16BE(offset)
    valid = code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
  }
  if (!valid)
    throw new DerError({
      code: 'DER_INVALID_VALUE',
      message: `${unit === 4 ? 'UniversalString' : 'BMPString'} holds an invalid code unit`,
    })
}
