/** Object identifiers the timestamp authority writes and reads (RFC 3161, RFC 5652, RFC 5280, RFC 5035). */
export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256: '2.16.840.1.101.3.4.2.1',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
  timeStamping: '1.3.6.1.5.5.7.3.8',
} as const

/**
 * Default TSA policy of the embedded timestamp authority: a UUID-derived OID (ITU-T X.667 arc 2.25), so it needs
 * no registered enterprise number and collides with no one else's policy.
 */
export const DEFAULT_TSA_POLICY_OID = '2.25.196124845614039613792712513375283319994'

/** Message-imprint hash algorithm a timestamp request may use. */
export type TimestampHashAlgorithm = 'sha256' | 'sha384' | 'sha512'

/** OID and digest length of each accepted message-imprint hash. */
export const TIMESTAMP_HASHES: Record<TimestampHashAlgorithm, { oid: string; length: number }> = {
  sha256: { oid: '2.16.840.1.101.3.4.2.1', length: 32 },
  sha384: { oid: '2.16.840.1.101.3.4.2.2', length: 48 },
  sha512: { oid: '2.16.840.1.101.3.4.2.3', length: 64 },
}

/** The accepted hash whose OID is `oid`, if any. */
export function timestampHashByOid(oid: string): TimestampHashAlgorithm | undefined {
  return (Object.keys(TIMESTAMP_HASHES) as TimestampHashAlgorithm[]).find(
    (name) => TIMESTAMP_HASHES[name].oid === oid,
  )
}
