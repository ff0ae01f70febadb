import { children, content, DerError, type DerNode, decodeOid, readDer } from '../der.js'
import { findExtension, type ParsedCertificate } from './certificate.js'
import { x509Fail } from './errors.js'
import { OID } from './extensions.js'

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

/** IA5String content (URI, rfc822Name, dNSName): 7-bit only. */
function ia5(node: DerNode): string {
  const bytes = content(node)
  if (bytes.some((byte) => byte > 0x7f))
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'IA5String holds a non-ASCII octet' })
  return Buffer.from(bytes).toString('latin1')
}

function utf8String(node: DerNode): string {
  if (node.tag !== 0x0c) throw new DerError({ code: 'DER_UNEXPECTED_TAG', message: 'expected a UTF8String' })
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  try {
    return text.decode(content(node))
  } catch {
    throw new DerError({ code: 'DER_INVALID_VALUE', message: 'UTF8String is not UTF-8' })
  }
}

function decodeName(name: DerNode): { kind: SubjectAltNameKind; value: string } | undefined {
  if (name.tag === 0x86) return { kind: 'uri', value: ia5(name) }
  if (name.tag === 0x81) return { kind: 'email', value: ia5(name) }
  if (name.tag === 0x82) return { kind: 'dns', value: ia5(name) }
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
 * Decodes the subject alternative names (URI, email, DNS and Fulcio's username otherName; other kinds are
 * skipped). An empty list is malformed (§4.2.1.6: SIZE (1..MAX)).
 * @throws X509Error `X509_MALFORMED_EXTENSION`.
 */
export function subjectAltNames(certificate: ParsedCertificate): SubjectAltNames {
  const names: SubjectAltNames = { uris: [], emails: [], dnsNames: [], otherNames: [], entries: [] }
  const extension = findExtension(certificate, OID.SUBJECT_ALT_NAME)
  if (!extension) return names
  const lists = { uri: names.uris, email: names.emails, dns: names.dnsNames, otherName: names.otherNames }
  try {
    const items = children(readDer(extension.value, 0x30))
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
        { oid: extension.oid },
        error,
      )
    throw error
  }
  return names
}

/**
 * The SANs that can name a signer, in certificate order: URIs, emails and Fulcio's username otherName — the kinds
 * Fulcio issues. dNSName never identifies a signer (a host name is not who signed); IP addresses and other
 * otherNames are not decoded at all. See docs/decisions/0004-strict-x509-and-identity-matching.md.
 */
export function identityNames(names: SubjectAltNames): string[] {
  return names.entries.filter((entry) => entry.kind !== 'dns').map((entry) => entry.value)
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

function fulcioValue(arc: number, value: Uint8Array, oid: string): string {
  if (arc <= 6) return Buffer.from(value).toString('utf8')
  try {
    return utf8String(readDer(value))
  } catch (error) {
    if (DerError.is(error))
      x509Fail(
        'X509_MALFORMED_EXTENSION',
        `Fulcio extension ${oid} is not one DER UTF8String`,
        { oid },
        error,
      )
    throw error
  }
}

/**
 * Decodes every Fulcio extension present. The v2 issuer (…1.8) wins over the deprecated v1 (…1.1), as in
 * sigstore-js; each extension occurs at most once (the parser rejects duplicates), so no copy can shadow another.
 * @throws X509Error `X509_MALFORMED_EXTENSION` for a v2 extension that is not one DER UTF8String.
 */
export function fulcioExtensions(certificate: ParsedCertificate): FulcioExtensions {
  const result: FulcioExtensions = {}
  let issuerV2: string | undefined
  for (const extension of certificate.extensions) {
    if (!extension.oid.startsWith(FULCIO_PREFIX)) continue
    const arc = Number(extension.oid.slice(FULCIO_PREFIX.length))
    const name = FULCIO_NAMES[arc]
    if (!name) continue
    const value = fulcioValue(arc, extension.value, extension.oid)
    if (arc === 8) issuerV2 = value
    else result[name] = value
  }
  if (issuerV2 !== undefined) result.issuer = issuerV2
  return result
}
