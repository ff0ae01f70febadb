import {
  fulcioExtensions,
  identityNames,
  parseCertificate,
  subjectAltNames,
  X509Error,
} from '@certus-trust/core/x509'
import { fail } from './errors.js'

/**
 * Identity of a (Fulcio) certificate, read with core's strict X.509 parser (never by searching raw bytes): the
 * first identity SAN (URI, email or Fulcio username, in certificate order; dNSName never names a signer) and the
 * OIDC issuer extension (v2 …57264.1.8, else the deprecated v1 …1.1). A certificate the parser rejects — a
 * duplicate extension, an unknown critical one, bad DER — yields no identity.
 * @throws RekorError `REKOR_BODY_INVALID` (the X509Error as `cause`).
 */
export function certificateIdentity(der: Uint8Array): { subjectAlternativeName?: string; issuer?: string } {
  try {
    const certificate = parseCertificate(der)
    const result: { subjectAlternativeName?: string; issuer?: string } = {}
    const first = identityNames(subjectAltNames(certificate))[0]
    if (first !== undefined) result.subjectAlternativeName = first
    const issuer = fulcioExtensions(certificate).issuer
    if (issuer !== undefined) result.issuer = issuer
    return result
  } catch (error) {
    if (X509Error.is(error))
      return fail(
        'REKOR_BODY_INVALID',
        `entry certificate is not a valid X.509 certificate: ${error.message}`,
        {
          x509Code: error.code,
        },
        error,
      )
    throw error
  }
}
