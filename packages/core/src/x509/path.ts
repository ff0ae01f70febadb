import { isIssuedBy, type ParsedCertificate } from './certificate.js'
import { x509Fail } from './errors.js'
import { type KeyUsage, OID } from './extensions.js'

/** What the end-entity certificate of a path must be allowed to do. */
export interface LeafProfile {
  /** Name used in messages. */
  name: string
  /** KeyPurposeId the extKeyUsage must list (an absent extKeyUsage fails). */
  extendedKeyUsage: string
  /** RFC 3161 §2.3: the extension is critical and lists this purpose only. @default false */
  extendedKeyUsageExclusive?: boolean
  /** keyUsage must assert one of these bits. */
  keyUsage: ReadonlyArray<keyof KeyUsage>
  /** An absent keyUsage fails (Fulcio always sets it); otherwise only a present one is checked. */
  keyUsageRequired: boolean
}

/** Fulcio's certificate profile for a signing leaf: digitalSignature and id-kp-codeSigning. */
export const FULCIO_LEAF_PROFILE: LeafProfile = {
  name: 'code signing',
  extendedKeyUsage: OID.CODE_SIGNING,
  keyUsage: ['digitalSignature'],
  keyUsageRequired: true,
}

/** RFC 3161 §2.3 for a timestamping leaf: a critical extKeyUsage with id-kp-timeStamping only; keyUsage, if any, for signing. */
export const TSA_LEAF_PROFILE: LeafProfile = {
  name: 'timestamping',
  extendedKeyUsage: OID.TIME_STAMPING,
  extendedKeyUsageExclusive: true,
  keyUsage: ['digitalSignature', 'nonRepudiation'],
  // RFC 3161 does not require keyUsage on a TSA certificate; one that is present must allow signing.
  keyUsageRequired: false,
}

/** Options of {@link validateCertificatePath}. */
export interface PathValidationOptions {
  /** Epoch-ms times at which every certificate of the path must be valid (the signing times). */
  times: readonly number[]
  /** Rules for the end-entity certificate. */
  leaf: LeafProfile
  /**
   * Signature check for one link; callers that cache link results pass their cache here.
   * @default isIssuedBy
   */
  isIssuedBy?: (certificate: ParsedCertificate, issuer: ParsedCertificate) => boolean
}

function checkLeaf(leaf: ParsedCertificate, profile: LeafProfile): void {
  if (leaf.isCA) x509Fail('X509_LEAF_IS_CA', 'the end-entity certificate is a CA', { position: 0 })
  const usage = leaf.keyUsage
  if (usage ? !profile.keyUsage.some((bit) => usage[bit]) : profile.keyUsageRequired)
    x509Fail(
      'X509_LEAF_KEY_USAGE',
      `the ${profile.name} certificate's keyUsage lacks ${profile.keyUsage.join(' or ')}`,
      {
        position: 0,
      },
    )
  const purposes = leaf.extendedKeyUsage
  if (!purposes?.includes(profile.extendedKeyUsage))
    x509Fail('X509_LEAF_EXTENDED_KEY_USAGE', `the certificate is not valid for ${profile.name}`, {
      position: 0,
    })
  if (profile.extendedKeyUsageExclusive) {
    const critical = leaf.extensions.find((extension) => extension.oid === OID.EXTENDED_KEY_USAGE)?.critical
    if (!critical || purposes.length !== 1)
      x509Fail(
        'X509_LEAF_EXTENDED_KEY_USAGE',
        `the ${profile.name} extKeyUsage must be critical and exclusive`,
        {
          position: 0,
        },
      )
  }
}

/** §6.1.4(k), (l), (m), (n) for the certificate at `position` (≥ 1) of the path. */
function checkIssuer(certificate: ParsedCertificate, position: number): void {
  if (!certificate.isCA) x509Fail('X509_ISSUER_NOT_CA', 'an issuing certificate is not a CA', { position })
  if (certificate.keyUsage && !certificate.keyUsage.keyCertSign)
    x509Fail('X509_ISSUER_KEY_USAGE', 'an issuing certificate lacks keyCertSign', { position })
  // pathLen counts the intermediates that may follow below this CA (leaf excluded): position - 1 of them do.
  if (certificate.pathLength !== undefined && certificate.pathLength < position - 1)
    x509Fail('X509_PATH_LENGTH', 'path length constraint exceeded', { position })
}

/**
 * Validates a certification path (leaf first, trust anchor last) per RFC 5280 §6.1 and the leaf profile: every
 * link signed by the next certificate (the anchor by itself), every issuer a CA with keyCertSign (when keyUsage is
 * present) within its path length, the leaf not a CA and allowed to sign for the profile, and every certificate
 * valid at each of `times`. The anchor is held to the issuer rules too: a trusted root that is not a CA is a
 * misconfiguration worth refusing.
 * @throws X509Error naming the rule (`X509_SIGNATURE_INVALID`, `X509_ISSUER_NOT_CA`, `X509_ISSUER_KEY_USAGE`,
 * `X509_PATH_LENGTH`, `X509_LEAF_IS_CA`, `X509_LEAF_KEY_USAGE`, `X509_LEAF_EXTENDED_KEY_USAGE`,
 * `X509_NOT_VALID_AT_TIME`), `details.position` the index in the path.
 */
export function validateCertificatePath(
  path: readonly ParsedCertificate[],
  options: PathValidationOptions,
): void {
  if (path.length === 0) x509Fail('X509_SIGNATURE_INVALID', 'empty certification path')
  const issuedBy = options.isIssuedBy ?? isIssuedBy
  for (let position = 0; position < path.length; position++) {
    const certificate = path[position]!
    const issuer = path[position + 1] ?? certificate
    if (!issuedBy(certificate, issuer))
      x509Fail('X509_SIGNATURE_INVALID', `certificate ${position} of the path is not signed by its issuer`, {
        position,
      })
    if (position > 0) checkIssuer(certificate, position)
  }
  checkLeaf(path[0]!, options.leaf)
  for (const at of options.times) {
    for (const [position, certificate] of path.entries()) {
      if (at < certificate.notBefore || at > certificate.notAfter)
        x509Fail(
          'X509_NOT_VALID_AT_TIME',
          `certificate ${position} of the path was not valid at ${new Date(at).toISOString()}`,
          {
            position,
            at,
          },
        )
    }
  }
}
