import { bufferView, DerError, readDer } from '../der/reader.js'
import type { ParsedCertificate } from './certificate.js'
import { x509Fail } from './errors.js'
import type { SubjectAltNames } from './san.js'
import { utf8String } from './strings.js'

/**
 * The decoded subject alternative names (decoded, and checked, when the certificate was parsed).
 */
export function subjectAltNames(certificate: ParsedCertificate): SubjectAltNames {
  return certificate.subjectAltNames
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
  if (arc <= 6) return bufferView(value).toString('utf8')
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
