import { children, DerError, type DerNode, decodeOid, readDer } from '../der/reader.js'
import { bitStringBytes, decodeBoolean, decodeSmallInteger } from './der-values.js'
import { x509Fail } from './errors.js'

/** Extension OIDs this package decodes (RFC 5280 §4.2.1). */
export const OID = {
  SUBJECT_KEY_ID: '2.5.29.14',
  KEY_USAGE: '2.5.29.15',
  SUBJECT_ALT_NAME: '2.5.29.17',
  BASIC_CONSTRAINTS: '2.5.29.19',
  AUTHORITY_KEY_ID: '2.5.29.35',
  EXTENDED_KEY_USAGE: '2.5.29.37',
  /** id-kp-codeSigning (RFC 5280 §4.2.1.12). */
  CODE_SIGNING: '1.3.6.1.5.5.7.3.3',
  /** id-kp-timeStamping (RFC 3161 §2.3). */
  TIME_STAMPING: '1.3.6.1.5.5.7.3.8',
} as const

/**
 * Extensions whose meaning the path validator enforces (or that carry no constraint: key identifiers), so they
 * may be marked critical. Any other critical extension — name constraints, policies, a private OID — is rejected,
 * as RFC 5280 §4.2 requires of a verifier that does not process it.
 */
export const UNDERSTOOD_CRITICAL_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.SUBJECT_KEY_ID,
  OID.KEY_USAGE,
  OID.SUBJECT_ALT_NAME,
  OID.BASIC_CONSTRAINTS,
  OID.AUTHORITY_KEY_ID,
  OID.EXTENDED_KEY_USAGE,
])

/** basicConstraints (§4.2.1.9). */
export interface BasicConstraints {
  ca: boolean
  pathLength: number | undefined
}

/** keyUsage bits (§4.2.1.3), by name. */
export interface KeyUsage {
  digitalSignature: boolean
  nonRepudiation: boolean
  keyEncipherment: boolean
  dataEncipherment: boolean
  keyAgreement: boolean
  keyCertSign: boolean
  cRLSign: boolean
  encipherOnly: boolean
  decipherOnly: boolean
}

const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const

function malformedExtension(oid: string, what: string, cause: unknown): never {
  return x509Fail('X509_MALFORMED_EXTENSION', `${what} extension is malformed`, { oid }, cause)
}

/** Runs a decoder, turning DER failures into `X509_MALFORMED_EXTENSION`. */
function decoding<T>(oid: string, what: string, decode: () => T): T {
  try {
    return decode()
  } catch (error) {
    if (DerError.is(error)) return malformedExtension(oid, what, error)
    throw error
  }
}

/** `BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }`. */
export function decodeBasicConstraints(value: Uint8Array): BasicConstraints {
  return decoding(OID.BASIC_CONSTRAINTS, 'basicConstraints', () => {
    const items = children(readDer(value, 0x30))
    let index = 0
    let ca = false
    if (items[index]?.tag === 0x01) {
      ca = decodeBoolean(items[index++]!)
      // DER omits a value equal to its DEFAULT (X.690 §11.5): an explicit FALSE is BER.
      if (!ca) throw new DerError({ code: 'DER_INVALID_VALUE', message: 'cA FALSE must be omitted in DER' })
    }
    let pathLength: number | undefined
    if (items[index]?.tag === 0x02) pathLength = decodeSmallInteger(items[index++]!)
    if (index !== items.length)
      throw new DerError({ code: 'DER_TRAILING_DATA', message: 'unexpected basicConstraints field' })
    // §4.2.1.9: pathLenConstraint is meaningful only when cA is asserted.
    if (pathLength !== undefined && !ca)
      throw new DerError({ code: 'DER_INVALID_VALUE', message: 'pathLenConstraint without cA' })
    return { ca, pathLength }
  })
}

/** `KeyUsage ::= BIT STRING`; at least one bit must be set (§4.2.1.3). */
export function decodeKeyUsage(value: Uint8Array): KeyUsage {
  return decoding(OID.KEY_USAGE, 'keyUsage', () => {
    const { bytes } = bitStringBytes(readDer(value, 0x03))
    if (bytes.length > 2)
      throw new DerError({ code: 'DER_INVALID_VALUE', message: 'keyUsage longer than 9 bits' })
    const usage = {} as KeyUsage
    let any = false
    for (const [bit, name] of KEY_USAGE_BITS.entries()) {
      const set = ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0
      usage[name] = set
      any ||= set
    }
    if (!any) throw new DerError({ code: 'DER_INVALID_VALUE', message: 'keyUsage asserts no bit' })
    return usage
  })
}

/** `ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId`, decoded OID by OID (never a byte search). */
export function decodeExtendedKeyUsage(value: Uint8Array): string[] {
  return decoding(OID.EXTENDED_KEY_USAGE, 'extKeyUsage', () => {
    const items = children(readDer(value, 0x30))
    if (items.length === 0) throw new DerError({ code: 'DER_INVALID_VALUE', message: 'empty extKeyUsage' })
    return items.map((item: DerNode) => decodeOid(item))
  })
}
