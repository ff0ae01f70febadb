import { children, DerError, type DerNode, decodeOid, readDer } from '../der/reader.js'
import { x509Fail } from './errors.js'
import { OID } from './extensions.js'
import { ia5String, utf8String } from './strings.js'

/** The kinds of subject alternative name we decode. */
export type SubjectAltNameKind = 'uri' | 'email' | 'dns' | 'otherName'

/** Subject alternative names, by kind, and all of them in certificate order. */
export interface SubjectAltNames {
  uris: string[]
  emails: string[]
  dnsNames: string[]
  /** Fulcio's username otherName (OID 1.3.6.1.4.1.57264.1.7). */
  otherNames: string[]
  /** Every decoded name in the order the certificate lists them. */
  entries: Array<{ kind: SubjectAltNameKind; value: string }>
}

const OID_FULCIO_USERNAME = '1.3.6.1.4.1.57264.1.7'

function decodeName(name: DerNode): { kind: SubjectAltNameKind; value: string } | undefined {
  // GeneralName is a CHOICE of context-specific tags [0]…[8].
  // otherName [0], x400Address [3], directoryName [4] and ediPartyName [5] are constructed; the rest primitive.
  const number = name.tag & 0x1f
  const constructed = (name.tag & 0x20) !== 0
  if ((name.tag & 0xc0) !== 0x80 || number > 8 || constructed !== [0, 3, 4, 5].includes(number))
    throw new DerError({ code: 'DER_UNEXPECTED_TAG', message: 'not a GeneralName' })
  if (name.tag === 0x86) return { kind: 'uri', value: ia5String(name) }
  if (name.tag === 0x81) return { kind: 'email', value: ia5String(name) }
  if (name.tag === 0x82) return { kind: 'dns', value: ia5String(name) }
  if (name.tag === 0xa4) {
    // directoryName [4] EXPLICIT Name: one SEQUENCE of RDN SETs. Not an identity, but it must be what it says.
    const [inner, ...more] = children(name)
    if (!inner || more.length > 0 || inner.tag !== 0x30 || children(inner).some((rdn) => rdn.tag !== 0x31))
      throw new DerError({ code: 'DER_INVALID_VALUE', message: 'malformed directoryName' })
    return undefined
  }
  const parts = children(name)
  // x400Address [3] IMPLICIT ORAddress (starts with its built-in attributes SEQUENCE); ediPartyName [5] IMPLICIT
  // SEQUENCE { nameAssigner [0] OPTIONAL, partyName [1] }.
  if (name.tag === 0xa3 && parts[0]?.tag !== 0x30)
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'malformed x400Address' })
  if (
    name.tag === 0xa5 &&
    (parts.some((part) => part.tag !== 0xa0 && part.tag !== 0xa1) || parts.at(-1)?.tag !== 0xa1)
  )
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'malformed ediPartyName' })
  if (name.tag !== 0xa0) return undefined
  // otherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }
  const [oid, wrapped, ...rest] = children(name)
  if (!oid || !wrapped || rest.length > 0 || wrapped.tag !== 0xa0)
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'malformed otherName' })
  if (decodeOid(oid) !== OID_FULCIO_USERNAME) return undefined
  const [inner, ...more] = children(wrapped)
  if (!inner || more.length > 0)
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'malformed otherName' })
  return { kind: 'otherName', value: utf8String(inner) }
}

/**
 * Decodes a subjectAltName extension value (URI, email, DNS and Fulcio's username otherName; other kinds are
 * skipped). An empty list is malformed (§4.2.1.6: SIZE (1..MAX)).
 * @throws X509Error `X509_MALFORMED_EXTENSION`.
 */
export function decodeSubjectAltNames(value: Uint8Array | undefined): SubjectAltNames {
  const names: SubjectAltNames = { uris: [], emails: [], dnsNames: [], otherNames: [], entries: [] }
  if (!value) return names
  const lists = { uri: names.uris, email: names.emails, dns: names.dnsNames, otherName: names.otherNames }
  try {
    const items = children(readDer(value, 0x30))
    if (items.length === 0) throw new DerError({ code: 'DER_INVALID_VALUE', message: 'empty subjectAltName' })
    for (const item of items) {
      const decoded = decodeName(item)
      if (!decoded) continue
      lists[decoded.kind].push(decoded.value)
      names.entries.push(decoded)
    }
  } catch (error) {
    if (DerError.is(error))
      x509Fail(
        'X509_MALFORMED_EXTENSION',
        'subjectAltName extension is malformed',
        { oid: OID.SUBJECT_ALT_NAME },
        error,
      )
    throw error
  }
  return names
}
