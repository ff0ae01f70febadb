import { content, readNode } from '@certus-trust/core'
import { fail, VerifierError, type VerifierErrorCode } from './errors.js'
import { type CertificateAuthority, checkAuthorityChain, within } from './trust-root.js'

/** A verified RFC 3161 timestamp. */
export interface VerifiedTimestamp {
  time: number
  authority: CertificateAuthority
}

type CoreModule = typeof import('@sigstore/core')
let core: Promise<CoreModule> | undefined

/**
 * Verifies an RFC 3161 timestamp response over `signature` against the trusted timestamp
 * authorities: the signer's issuer and serial must name a trusted TSA leaf, the TSA must be valid
 * (closed window) at the timestamp's time, every certificate of its chain valid then, and the CMS
 * signature and message imprint must verify. The CMS parsing is @sigstore/core's, loaded only when a
 * bundle carries a timestamp.
 * @throws VerifierError `VERIFIER_TIMESTAMP_INVALID`.
 */
export async function verifyRfc3161Timestamp(
  token: Buffer,
  signature: Buffer,
  authorities: CertificateAuthority[],
): Promise<VerifiedTimestamp> {
  core ??= import('@sigstore/core')
  const { RFC3161Timestamp } = await core
  let timestamp: InstanceType<CoreModule['RFC3161Timestamp']>
  let time: number
  let issuer: Buffer
  let serial: Buffer
  try {
    timestamp = RFC3161Timestamp.parse(token as Buffer<ArrayBuffer>)
    time = timestamp.signingTime.getTime()
    issuer = timestamp.signerIssuer
    serial = timestamp.signerSerialNumber
    if (Number.isNaN(time)) throw new Error('invalid genTime')
  } catch (error) {
    return fail('VERIFIER_TIMESTAMP_INVALID', 'RFC 3161 timestamp is malformed', error)
  }
  const candidates = authorities.filter((authority) => {
    const leaf = authority.chain[0]!
    return (
      within(authority.validFor, time) &&
      Buffer.compare(leaf.serial, serial) === 0 &&
      Buffer.compare(content(readNode(leaf.issuerName)), issuer) === 0
    )
  })
  let lastError: unknown
  for (const authority of candidates) {
    try {
      if (!checkAuthorityChain(authority)) throw new Error('TSA chain is inconsistent')
      if (
        authority.chain.some((certificate) => time < certificate.notBefore || time > certificate.notAfter)
      ) {
        throw new Error('TSA certificate not valid at the timestamp time')
      }
      timestamp.verify(signature as Buffer<ArrayBuffer>, authority.chain[0]!.publicKey())
      return { time, authority }
    } catch (error) {
      lastError = error
    }
  }
  return fail(
    'VERIFIER_TIMESTAMP_INVALID',
    candidates.length === 0
      ? 'RFC 3161 timestamp is not from a timestamp authority trusted at that time'
      : 'RFC 3161 timestamp does not verify',
    lastError,
  )
}

/** What to do with an RFC 3161 timestamp that does not verify. */
export type UnverifiedTimestampPolicy = 'ignore' | 'reject'

/** An RFC 3161 timestamp left out of the verification, and why. */
export interface IgnoredTimestamp {
  /** Position in the bundle's `rfc3161Timestamps`. */
  index: number
  code: VerifierErrorCode
  message: string
}

/**
 * Verifies every RFC 3161 token of a bundle. A repeated token is always a malformed bundle (it must not count
 * twice toward a threshold). A token that does not verify fails the verification under `'reject'`; under
 * `'ignore'` it is reported in `ignored` and does not count (docs/decisions/0003-verifier-compatibility.md).
 * @throws VerifierError `VERIFIER_MALFORMED_BUNDLE`, or `VERIFIER_TIMESTAMP_INVALID` under `'reject'`.
 */
export async function verifyRfc3161Timestamps(
  tokens: Buffer[],
  signature: Buffer,
  authorities: CertificateAuthority[],
  policy: UnverifiedTimestampPolicy,
): Promise<{ verified: VerifiedTimestamp[]; ignored: IgnoredTimestamp[] }> {
  const seen = new Set<string>()
  const verified: VerifiedTimestamp[] = []
  const ignored: IgnoredTimestamp[] = []
  for (const [index, token] of tokens.entries()) {
    const tokenId = token.toString('base64')
    if (seen.has(tokenId)) fail('VERIFIER_MALFORMED_BUNDLE', 'duplicate RFC 3161 timestamp')
    seen.add(tokenId)
    try {
      verified.push(await verifyRfc3161Timestamp(token, signature, authorities))
    } catch (error) {
      if (policy === 'reject') throw error
      // verifyRfc3161Timestamp throws only VerifierErrors; anything else is still an unverified token.
      const typed = VerifierError.is(error)
        ? error
        : { code: 'VERIFIER_TIMESTAMP_INVALID' as const, message: 'RFC 3161 timestamp does not verify' }
      ignored.push({ index, code: typed.code, message: typed.message })
    }
  }
  return { verified, ignored }
}
