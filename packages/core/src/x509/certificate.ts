import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import {
  children,
  content,
  DerError,
  type DerNode,
  decodeOid,
  decodeTime,
  encoding,
  readDer,
  readNode,
} from '../der/reader.js'
import { bitStringBytes, decodeBoolean, decodeSmallInteger, integerContent } from './der-values.js'
import { x509Fail } from './errors.js'
import {
  type BasicConstraints,
  decodeBasicConstraints,
  decodeExtendedKeyUsage,
  decodeKeyUsage,
  type KeyUsage,
  OID,
  UNDERSTOOD_CRITICAL_EXTENSIONS,
} from './extensions.js'
import { decodeSubjectAltNames, type SubjectAltNames } from './san.js'
import { checkDirectoryString } from './strings.js'

/** One X.509 extension, located in the certificate's own bytes. */
export interface CertificateExtension {
  oid: string
  critical: boolean
  /** Content of extnValue (the DER the extension defines). */
  value: Uint8Array
  /** The whole Extension SEQUENCE (needed to cut the SCT list out of a precertificate TBS). */
  node: DerNode
}

/** A strictly parsed certificate: fields located in the original DER (never re-encoded), constraints decoded. */
export interface ParsedCertificate {
  der: Buffer
  /** SHA-256 of the DER, hex: a cache key for chain results. */
  fingerprint: string
  /** 1, 2 or 3. */
  version: number
  tbs: DerNode
  tbsBytes: Uint8Array
  serial: Uint8Array
  /** DER of the issuer and subject Names. */
  issuerName: Uint8Array
  subjectName: Uint8Array
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array
  notBefore: number
  notAfter: number
  /** OID of the (outer, equal to the inner) signature algorithm. */
  signatureAlgorithm: string
  signatureValue: Uint8Array
  /** Every extension, in order; OIDs are unique (duplicates are rejected). */
  extensions: CertificateExtension[]
  basicConstraints: BasicConstraints | undefined
  keyUsage: KeyUsage | undefined
  /** Decoded KeyPurposeIds, or undefined when the extension is absent. */
  extendedKeyUsage: string[] | undefined
  /** Decoded (and so checked) when the certificate is parsed. */
  subjectAltNames: SubjectAltNames
  /** True when basicConstraints asserts cA. */
  isCA: boolean
  pathLength: number | undefined
  /** The imported public key (imported once, at parse time). */
  publicKey(): KeyObject
}

interface TbsFields {
  version: number
  serial: DerNode
  signature: DerNode
  issuer: DerNode
  validity: DerNode
  subject: DerNode
  spki: DerNode
  extensions: DerNode | undefined
}

function expectTag(node: DerNode | undefined, tag: number, field: string): DerNode {
  if (!node) throw new DerError({ code: 'DER_TRUNCATED', message: `tbsCertificate lacks ${field}` })
  if (node.tag !== tag)
    throw new DerError({ code: 'DER_UNEXPECTED_TAG', message: `${field} has the wrong type` })
  return node
}

/** `Name ::= SEQUENCE OF SET SIZE (1..MAX) OF SEQUENCE { type OBJECT IDENTIFIER, value ANY }` (§4.1.2.4). */
function checkName(name: DerNode): void {
  for (const rdn of children(name)) {
    const attributes = children(expectTag(rdn, 0x31, 'RelativeDistinguishedName'))
    if (attributes.length === 0) throw new DerError({ code: 'DER_INVALID_VALUE', message: 'empty RDN' })
    for (const attribute of attributes) {
      const parts = children(expectTag(attribute, 0x30, 'AttributeTypeAndValue'))
      if (parts.length !== 2)
        throw new DerError({ code: 'DER_INVALID_VALUE', message: 'malformed attribute' })
      decodeOid(expectTag(parts[0], 0x06, 'attribute type'))
      checkDirectoryString(parts[1]!)
    }
  }
}

/** `AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }`. */
function checkAlgorithm(node: DerNode): void {
  const parts = children(node)
  if (parts.length < 1 || parts.length > 2)
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'malformed AlgorithmIdentifier' })
  decodeOid(expectTag(parts[0], 0x06, 'algorithm'))
  // Named-curve parameters are an OID too; decode them so a malformed one is caught here.
  if (parts[1]?.tag === 0x06) decodeOid(parts[1])
}

const MAX_DEPTH = 32

/**
 * Walks every constructed element, so no malformed TLV hides inside a field we otherwise only slice (names,
 * extension values' outer shells): other parsers descend everywhere, and what they reject we must not accept.
 */
function checkTree(node: DerNode, depth = 0): void {
  if (depth > MAX_DEPTH) throw new DerError({ code: 'DER_INVALID_VALUE', message: 'DER nested too deeply' })
  if ((node.tag & 0x20) === 0) return
  // readNode directly rather than children(): this walk runs on every parse, so it builds no arrays.
  for (let cursor = node.contentStart; cursor < node.end; ) {
    const child = readNode(node.bytes, cursor, node.end)
    checkTree(child, depth + 1)
    cursor = child.end
  }
}

/** `SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }`. */
function checkSpki(node: DerNode): void {
  const parts = children(node)
  if (parts.length !== 2)
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'malformed SubjectPublicKeyInfo' })
  checkAlgorithm(expectTag(parts[0], 0x30, 'key algorithm'))
  bitStringBytes(expectTag(parts[1], 0x03, 'subjectPublicKey'))
}

/** Splits the TBSCertificate into its fields (§4.1), enforcing order, types and the version rules. */
function tbsFields(tbs: DerNode): TbsFields {
  const fields = children(tbs)
  let index = 0
  let version = 1
  if (fields[0]?.tag === 0xa0) {
    const [inner, ...rest] = children(fields[index++]!)
    if (!inner || rest.length > 0)
      throw new DerError({ code: 'DER_INVALID_VALUE', message: 'version must hold one INTEGER' })
    const number = decodeSmallInteger(inner)
    // DER omits DEFAULT values (X.690 §11.5): an explicit v1 is not DER.
    if (number === 0) x509Fail('X509_VERSION', 'version v1 must be omitted, not encoded')
    if (number > 2) x509Fail('X509_VERSION', `unknown certificate version ${number + 1}`)
    version = number + 1
  }
  const serial = expectTag(fields[index++], 0x02, 'serialNumber')
  integerContent(serial)
  const signature = expectTag(fields[index++], 0x30, 'signature')
  const issuer = expectTag(fields[index++], 0x30, 'issuer')
  const validity = expectTag(fields[index++], 0x30, 'validity')
  const subject = expectTag(fields[index++], 0x30, 'subject')
  const spki = expectTag(fields[index++], 0x30, 'subjectPublicKeyInfo')
  // Optional trailing fields, each at most once and in order: [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions.
  let extensions: DerNode | undefined
  let lastTag = 0
  for (const field of fields.slice(index)) {
    // The unique identifiers are IMPLICIT BIT STRINGs: primitive in DER, with a valid unused-bit count.
    const allowed = [0x81, 0x82, 0xa3]
    const rank = field.tag & 0x1f
    if (!allowed.includes(field.tag) || rank <= lastTag)
      throw new DerError({
        code: 'DER_UNEXPECTED_TAG',
        message: 'unexpected field after subjectPublicKeyInfo',
      })
    lastTag = rank
    if (field.tag === 0xa3) extensions = field
    else if (version < 2) x509Fail('X509_VERSION', 'unique identifiers need version 2 or 3')
    else bitStringBytes({ ...field, tag: 0x03 })
  }
  if (extensions && version !== 3) x509Fail('X509_VERSION', `extensions in a version ${version} certificate`)
  checkAlgorithm(signature)
  checkName(issuer)
  checkName(subject)
  checkSpki(spki)
  return { version, serial, signature, issuer, validity, subject, spki, extensions }
}

/** Reads `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension`; rejects duplicates and unknown critical ones. */
function parseExtensions(wrapper: DerNode | undefined): CertificateExtension[] {
  if (!wrapper) return []
  const [list, ...rest] = children(wrapper)
  if (!list || rest.length > 0 || list.tag !== 0x30)
    throw new DerError({ code: 'DER_UNEXPECTED_TAG', message: 'extensions must hold one SEQUENCE' })
  const extensions: CertificateExtension[] = []
  const seen = new Set<string>()
  for (const node of children(list)) {
    const parts = children(expectTag(node, 0x30, 'Extension'))
    const oid = decodeOid(expectTag(parts[0], 0x06, 'extnID'))
    let critical = false
    if (parts.length === 3) {
      critical = decodeBoolean(parts[1]!)
      if (!critical)
        throw new DerError({ code: 'DER_INVALID_VALUE', message: 'critical FALSE must be omitted in DER' })
    } else if (parts.length !== 2) {
      throw new DerError({ code: 'DER_INVALID_VALUE', message: 'Extension must have two or three fields' })
    }
    const valueNode = expectTag(parts[parts.length - 1], 0x04, 'extnValue')
    if (seen.has(oid))
      x509Fail('X509_DUPLICATE_EXTENSION', `extension ${oid} appears more than once`, { oid })
    seen.add(oid)
    if (critical && !UNDERSTOOD_CRITICAL_EXTENSIONS.has(oid))
      x509Fail('X509_UNKNOWN_CRITICAL_EXTENSION', `critical extension ${oid} is not understood`, { oid })
    extensions.push({ oid, critical, value: content(valueNode), node })
  }
  if (extensions.length === 0)
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'empty extensions list' })
  return extensions
}

function extensionValue(extensions: CertificateExtension[], oid: string): Uint8Array | undefined {
  return extensions.find((extension) => extension.oid === oid)?.value
}

function importKey(spki: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })
  } catch (error) {
    throw new DerError({
      code: 'DER_INVALID_VALUE',
      message: `subjectPublicKeyInfo is not a usable key (${(error as Error).message})`,
    })
  }
}

function parseUnchecked(der: Buffer): ParsedCertificate {
  const root = readDer(der, 0x30)
  checkTree(root)
  const [tbs, outerAlgorithm, signatureNode, ...extra] = children(root)
  if (extra.length > 0)
    throw new DerError({ code: 'DER_TRAILING_DATA', message: 'certificate has extra fields' })
  expectTag(tbs, 0x30, 'tbsCertificate')
  expectTag(outerAlgorithm, 0x30, 'signatureAlgorithm')
  const { bytes: signatureValue, unusedBits } = bitStringBytes(
    expectTag(signatureNode, 0x03, 'signatureValue'),
  )
  if (unusedBits !== 0)
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'signature has unused bits' })
  const fields = tbsFields(tbs!)
  if (Buffer.compare(encoding(fields.signature), encoding(outerAlgorithm!)) !== 0)
    x509Fail('X509_ALGORITHM_MISMATCH', 'tbsCertificate.signature differs from signatureAlgorithm')
  const [notBefore, notAfter, ...moreTimes] = children(fields.validity)
  if (!notBefore || !notAfter || moreTimes.length > 0)
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'validity must hold two times' })
  const [algorithmOid] = children(outerAlgorithm!)
  const extensions = parseExtensions(fields.extensions)
  const basicValue = extensionValue(extensions, OID.BASIC_CONSTRAINTS)
  const keyUsageValue = extensionValue(extensions, OID.KEY_USAGE)
  const ekuValue = extensionValue(extensions, OID.EXTENDED_KEY_USAGE)
  const basicConstraints = basicValue ? decodeBasicConstraints(basicValue) : undefined
  const spki = encoding(fields.spki)
  // Imported now (every user of a certificate needs its key): a certificate whose key cannot be used is malformed.
  const key = importKey(spki)
  return {
    der,
    fingerprint: createHash('sha256').update(der).digest('hex'),
    version: fields.version,
    tbs: tbs!,
    tbsBytes: encoding(tbs!),
    serial: content(fields.serial),
    issuerName: encoding(fields.issuer),
    subjectName: encoding(fields.subject),
    spki,
    notBefore: decodeTime(notBefore).getTime(),
    notAfter: decodeTime(notAfter).getTime(),
    signatureAlgorithm: decodeOid(expectTag(algorithmOid, 0x06, 'algorithm')),
    signatureValue,
    extensions,
    basicConstraints,
    keyUsage: keyUsageValue ? decodeKeyUsage(keyUsageValue) : undefined,
    extendedKeyUsage: ekuValue ? decodeExtendedKeyUsage(ekuValue) : undefined,
    subjectAltNames: decodeSubjectAltNames(extensionValue(extensions, OID.SUBJECT_ALT_NAME)),
    isCA: basicConstraints?.ca ?? false,
    pathLength: basicConstraints?.pathLength,
    publicKey() {
      return key
    },
  }
}

/**
 * Parses a DER certificate strictly (RFC 5280 §4.1 and X.690 DER): one element with no trailing bytes, shortest
 * lengths, fields in order, names and key info well-formed (UTF8/Printable/IA5 strings checked), version 3 when
 * extensions are present, no duplicate extension, no critical extension we do not process, inner and outer
 * signature algorithms equal, and basicConstraints / keyUsage / extKeyUsage / subjectAltName decoded. Path rules (CA, keyCertSign, path length, leaf profile, validity) are {@link validateCertificatePath}'s.
 * @throws X509Error `X509_MALFORMED` (cause: the DerError), `X509_VERSION`, `X509_ALGORITHM_MISMATCH`,
 * `X509_DUPLICATE_EXTENSION`, `X509_UNKNOWN_CRITICAL_EXTENSION` or `X509_MALFORMED_EXTENSION`.
 */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  try {
    return parseUnchecked(Buffer.from(der.buffer, der.byteOffset, der.byteLength))
  } catch (error) {
    if (DerError.is(error)) x509Fail('X509_MALFORMED', `malformed certificate: ${error.message}`, {}, error)
    throw error
  }
}

const HASH_BY_SIGNATURE_OID: Record<string, string | null> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null,
}

/** True when `issuer` signed `certificate`: the names chain and the signature verifies (§6.1.3(a)(1), (a)(4)). */
export function isIssuedBy(certificate: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (Buffer.compare(certificate.issuerName, issuer.subjectName) !== 0) return false
  const hash = HASH_BY_SIGNATURE_OID[certificate.signatureAlgorithm]
  if (hash === undefined) return false
  try {
    return cryptoVerify(hash, certificate.tbsBytes, issuer.publicKey(), certificate.signatureValue)
  } catch {
    return false
  }
}

/** The extension with this OID, if present. */
export function findExtension(certificate: ParsedCertificate, oid: string): CertificateExtension | undefined {
  return certificate.extensions.find((extension) => extension.oid === oid)
}
