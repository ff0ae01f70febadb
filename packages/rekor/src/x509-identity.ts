import type { X509Certificate } from 'node:crypto'

// Fulcio extensions naming the OIDC issuer: 1.3.6.1.4.1.57264.1.8 (DER UTF8String, current) and
// 1.3.6.1.4.1.57264.1.1 (raw string, deprecated).
const ISSUER_V2_OID = Buffer.from('060a2b0601040183bf300108', 'hex')
const ISSUER_V1_OID = Buffer.from('060a2b0601040183bf300101', 'hex')

function readLength(der: Buffer, offset: number): { length: number; start: number } | undefined {
  const first = der[offset]
  if (first === undefined) return undefined
  if (first < 0x80) return { length: first, start: offset + 1 }
  const count = first & 0x7f
  if (count === 0 || count > 3) return undefined
  let length = 0
  for (let index = 1; index <= count; index++) {
    const byte = der[offset + index]
    if (byte === undefined) return undefined
    length = length * 256 + byte
  }
  return { length, start: offset + 1 + count }
}

/** Value bytes of an extension found by its encoded OID: skips an optional `critical` BOOLEAN, reads the OCTET STRING. */
function extensionValue(der: Buffer, oid: Buffer): Buffer | undefined {
  const at = der.indexOf(oid)
  if (at < 0) return undefined
  let offset = at + oid.length
  if (der[offset] === 0x01) offset += 3
  if (der[offset] !== 0x04) return undefined
  const length = readLength(der, offset + 1)
  if (!length || length.start + length.length > der.length) return undefined
  return der.subarray(length.start, length.start + length.length)
}

/** Identity of a (Fulcio) certificate: the first SAN value and the OIDC issuer extension, when present. */
export function certificateIdentity(certificate: X509Certificate): {
  subjectAlternativeName?: string
  issuer?: string
} {
  const result: { subjectAlternativeName?: string; issuer?: string } = {}
  const san = certificate.subjectAltName
  if (san) {
    // Node renders "email:a@b.c, URI:https://…"; keep the value of the first name.
    const first = san.split(/,\s*/)[0] ?? ''
    const colon = first.indexOf(':')
    result.subjectAlternativeName = colon >= 0 ? first.slice(colon + 1) : first
  }
  const v2 = extensionValue(certificate.raw, ISSUER_V2_OID)
  if (v2 && v2[0] === 0x0c) {
    const length = readLength(v2, 1)
    if (length) result.issuer = v2.subarray(length.start, length.start + length.length).toString('utf8')
  } else {
    const v1 = extensionValue(certificate.raw, ISSUER_V1_OID)
    if (v1) result.issuer = v1.toString('utf8')
  }
  return result
}
