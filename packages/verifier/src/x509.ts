import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import {
  children,
  content,
  DerError,
  type DerNode,
  decodeOid,
  decodeTime,
  encoding,
  readNode,
} from '@certus-trust/core'

/** One X.509 extension, located in the certificate's own bytes. */
export interface CertificateExtension {
  oid: string
  critical: boolean
  /** Content of extnValue (the DER the extension defines). */
  value: Uint8Array
  /** The whole Extension SEQUENCE (needed to cut the SCT list out of a precertificate TBS). */
  node: DerNode
}

/** Subject alternative names, by kind. */
export interface SubjectAltNames {
  uris: string[]
  emails: string[]
  dnsNames: string[]
  /** Fulcio's username otherName (OID 1.3.6.1.4.1.57264.1.7). */
  otherNames: string[]
}

/** A parsed certificate: fields we need, located in the original DER (never re-encoded). */
export interface ParsedCertificate {
  der: Buffer
  /** SHA-256 of the DER, hex: the cache key for chain results. */
  fingerprint: string
  tbs: DerNode
  tbsBytes: Uint8Array
  serial: Uint8Array
  issuerName: Uint8Array
  subjectName: Uint8Array
  spki: Uint8Array
  notBefore: number
  notAfter: number
  signatureAlgorithm: string
  signatureValue: Uint8Array
  extensions: CertificateExtension[]
  isCA: boolean
  pathLength: number | undefined
  /** Lazily imported public key (cached on the object). */
  publicKey(): KeyObject
}

/** Thrown for certificates we cannot parse; callers translate it to their own code. */
export class CertificateParseError extends Error {}

const HASH_BY_SIGNATURE_OID: Record<string, string | null> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null,
}

/** Parses a DER certificate. Throws CertificateParseError on anything malformed. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  try {
    return parseUnchecked(Buffer.from(der.buffer, der.byteOffset, der.byteLength))
  } catch (error) {
    if (error instanceof CertificateParseError) throw error
    throw new CertificateParseError(`malformed certificate: ${(error as Error).message}`)
  }
}

function parseUnchecked(der: Buffer): ParsedCertificate {
  const root = readNode(der)
  if (root.tag !== 0x30 || root.end !== der.length) throw new DerError('certificate is not one SEQUENCE')
  const [tbs, signatureAlgorithmNode, signatureNode] = children(root)
  if (!tbs || !signatureAlgorithmNode || !signatureNode || tbs.tag !== 0x30 || signatureNode.tag !== 0x03) {
    throw new DerError('certificate lacks tbs/signature')
  }
  const fields = children(tbs)
  let index = 0
  if (fields[0]?.tag === 0xa0) index++
  const serial = fields[index++]
  const _signature = fields[index++]
  const issuer = fields[index++]
  const validity = fields[index++]
  const subject = fields[index++]
  const spki = fields[index++]
  if (!serial || !_signature || !issuer || !validity || !subject || !spki)
    throw new DerError('truncated tbsCertificate')
  const [notBefore, notAfter] = children(validity)
  if (!notBefore || !notAfter) throw new DerError('bad validity')
  const extensions: CertificateExtension[] = []
  for (const field of fields.slice(index)) {
    if (field.tag !== 0xa3) continue
    const [list] = children(field)
    if (!list) throw new DerError('empty extensions')
    for (const extension of children(list)) {
      const parts = children(extension)
      const oid = decodeOid(parts[0]!)
      const critical = parts.length === 3 && parts[1]!.tag === 0x01 && content(parts[1]!)[0] !== 0
      const valueNode = parts[parts.length - 1]!
      if (valueNode.tag !== 0x04) throw new DerError('extension value is not an OCTET STRING')
      extensions.push({ oid, critical, value: content(valueNode), node: extension })
    }
  }
  const [algorithmOid] = children(signatureAlgorithmNode)
  const signatureBits = content(signatureNode)
  let isCA = false
  let pathLength: number | undefined
  const basic = extensions.find((extension) => extension.oid === '2.5.29.19')
  if (basic) {
    const sequence = readNode(basic.value)
    for (const item of children(sequence)) {
      if (item.tag === 0x01) isCA = content(item)[0] !== 0
      if (item.tag === 0x02)
        pathLength = Number.parseInt(Buffer.from(content(item)).toString('hex') || '0', 16)
    }
  }
  let key: KeyObject | undefined
  const spkiBytes = encoding(spki)
  return {
    der,
    fingerprint: createHash('sha256').update(der).digest('hex'),
    tbs,
    tbsBytes: encoding(tbs),
    serial: content(serial),
    issuerName: encoding(issuer),
    subjectName: encoding(subject),
    spki: spkiBytes,
    notBefore: decodeTime(notBefore).getTime(),
    notAfter: decodeTime(notAfter).getTime(),
    signatureAlgorithm: decodeOid(algorithmOid!),
    // BIT STRING: the first octet counts unused bits (always 0 for signatures).
    signatureValue: signatureBits.subarray(1),
    extensions,
    isCA,
    pathLength,
    publicKey() {
      key ??= createPublicKey({ key: Buffer.from(spkiBytes), format: 'der', type: 'spki' })
      return key
    },
  }
}

/** True when `issuer` signed `certificate` (names chain and the signature verifies). */
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

const OID_SAN = '2.5.29.17'
const OID_FULCIO_USERNAME = '1.3.6.1.4.1.57264.1.7'

/** Decodes the subject alternative names. */
export function subjectAltNames(certificate: ParsedCertificate): SubjectAltNames {
  const names: SubjectAltNames = { uris: [], emails: [], dnsNames: [], otherNames: [] }
  const extension = findExtension(certificate, OID_SAN)
  if (!extension) return names
  for (const name of children(readNode(extension.value))) {
    const text = () => Buffer.from(content(name)).toString('utf8')
    if (name.tag === 0x86) names.uris.push(text())
    else if (name.tag === 0x81) names.emails.push(text())
    else if (name.tag === 0x82) names.dnsNames.push(text())
    else if (name.tag === 0xa0) {
      const [oid, value] = children(name)
      if (oid && value && decodeOid(oid) === OID_FULCIO_USERNAME) {
        const inner = children(value)[0]
        if (inner) names.otherNames.push(Buffer.from(content(inner)).toString('utf8'))
      }
    }
  }
  return names
}

/** Fulcio certificate extensions, by their documented names (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
export interface FulcioExtensions {
  issuer?: string
  githubWorkflowTrigger?: string
  githubWorkflowSha?: string
  githubWorkflowName?: string
  githubWorkflowRepository?: string
  githubWorkflowRef?: string
  buildSignerURI?: string
  buildSignerDigest?: string
  runnerEnvironment?: string
  sourceRepositoryURI?: string
  sourceRepositoryDigest?: string
  sourceRepositoryRef?: string
  sourceRepositoryIdentifier?: string
  sourceRepositoryOwnerURI?: string
  sourceRepositoryOwnerIdentifier?: string
  buildConfigURI?: string
  buildConfigDigest?: string
  buildTrigger?: string
  runInvocationURI?: string
  sourceRepositoryVisibilityAtSigning?: string
}

const FULCIO_PREFIX = '1.3.6.1.4.1.57264.1.'
// v1 extensions (1-6) hold raw bytes; v2 extensions (8-22) hold a DER UTF8String.
const FULCIO_NAMES: Record<number, keyof FulcioExtensions> = {
  1: 'issuer',
  2: 'githubWorkflowTrigger',
  3: 'githubWorkflowSha',
  4: 'githubWorkflowName',
  5: 'githubWorkflowRepository',
  6: 'githubWorkflowRef',
  8: 'issuer',
  9: 'buildSignerURI',
  10: 'buildSignerDigest',
  11: 'runnerEnvironment',
  12: 'sourceRepositoryURI',
  13: 'sourceRepositoryDigest',
  14: 'sourceRepositoryRef',
  15: 'sourceRepositoryIdentifier',
  16: 'sourceRepositoryOwnerURI',
  17: 'sourceRepositoryOwnerIdentifier',
  18: 'buildConfigURI',
  19: 'buildConfigDigest',
  20: 'buildTrigger',
  21: 'runInvocationURI',
  22: 'sourceRepositoryVisibilityAtSigning',
}

/** Decodes every Fulcio extension present. The v2 issuer (…1.8) wins over the deprecated v1 (…1.1). */
export function fulcioExtensions(certificate: ParsedCertificate): FulcioExtensions {
  const result: FulcioExtensions = {}
  let issuerV2: string | undefined
  for (const extension of certificate.extensions) {
    if (!extension.oid.startsWith(FULCIO_PREFIX)) continue
    const arc = Number(extension.oid.slice(FULCIO_PREFIX.length))
    const name = FULCIO_NAMES[arc]
    if (!name) continue
    let value: string
    if (arc <= 6) {
      value = Buffer.from(extension.value).toString('utf8')
    } else {
      const node = readNode(extension.value)
      value = Buffer.from(content(node)).toString('utf8')
    }
    if (arc === 8) issuerV2 = value
    else result[name] = value
  }
  if (issuerV2 !== undefined) result.issuer = issuerV2
  return result
}

/** Public-key algorithm summary for messages and hash selection. */
export function keyHashForSignature(key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448') return null
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    if (curve === 'secp384r1') return 'sha384'
    if (curve === 'secp521r1') return 'sha512'
  }
  return 'sha256'
}
