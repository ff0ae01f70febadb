import { createHash } from 'node:crypto'
import { content, readNode } from '@certus-trust/core/der'
import { TSA_LEAF_PROFILE, validateCertificatePath } from '@certus-trust/core/x509'
import { fail, VerifierError, type VerifierErrorCode } from './errors.js'
import { type CertificateAuthority, checkAuthorityChain, within } from './trust-root.js'

/** A verified RFC 3161 timestamp. */
export interface VerifiedTimestamp {
  time: number
  authority: CertificateAuthority
  /** SHA-256 of the signed TSTInfo, hex: one timestamp, however its token is wrapped. */
  tstInfoSha256: string
}

// A collision-resistant message imprint only: with SHA-1 a second preimage is not needed, a collision suffices.
const IMPRINT_HASHES = new Set(['sha256', 'sha384', 'sha512'])

type CoreModule = typeof import('@sigstore/core')
let core: Promise<CoreModule> | undefined

/**
 * Verifies an RFC 3161 timestamp response over `signature` against the trusted timestamp
 * authorities: the signer's issuer and serial must name a trusted TSA leaf, the TSA must be valid
 * (closed window) at the timestamp's time, its chain must pass core's RFC 5280 path validation at
 * genTime under the RFC 3161 §2.3 leaf profile (critical, exclusive timeStamping EKU; issuers CAs with
 * keyCertSign), the message imprint must use SHA-2 and match, and the CMS signature must verify. The
 * CMS parsing is @sigstore/core's, loaded only when a bundle carries a timestamp. There is no nonce to
 * check: a bundle's token answers a request this verifier never made.
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
    const imprint = timestamp.tstInfo.messageImprintHashAlgorithm
    if (!IMPRINT_HASHES.has(imprint)) throw new Error('message imprint hash is not SHA-256/384/512')
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
      // Links were verified (once, cached) by checkAuthorityChain; this applies the RFC 5280 rules at genTime.
      validateCertificatePath(authority.chain, {
        times: [time],
        leaf: TSA_LEAF_PROFILE,
        isIssuedBy: () => true,
      })
      timestamp.verify(signature as Buffer<ArrayBuffer>, authority.chain[0]!.publicKey())
      const tstInfoSha256 = createHash('sha256').update(timestamp.tstInfo.raw).digest('hex')
      return { time, authority, tstInfoSha256 }
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
 * Verifies every RFC 3161 token of a bundle. A repeated token — the same bytes, or the same signed TSTInfo in
 * another wrapper — is always a malformed bundle (it must not count twice toward a threshold). A token that does not verify fails the verification under `'reject'`; under
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
  const seenTstInfo = new Set<string>()
  const verified: VerifiedTimestamp[] = []
  const ignored: IgnoredTimestamp[] = []
  for (const [index, token] of tokens.entries()) {
    const tokenId = token.toString('base64')
    if (seen.has(tokenId)) fail('VERIFIER_MALFORMED_BUNDLE', 'duplicate RFC 3161 timestamp')
    seen.add(tokenId)
    let result: VerifiedTimestamp
    try {
      result = await verifyRfc3161Timestamp(token, signature, authorities)
    } catch (error) {
      if (policy === 'reject') throw error
      // verifyRfc3161Timestamp throws only VerifierErrors; anything else is still an unverified token.
      const typed = VerifierError.is(error)
        ? error
        : { code: 'VERIFIER_TIMESTAMP_INVALID' as const, message: 'RFC 3161 timestamp does not verify' }
      ignored.push({ index, code: typed.code, message: typed.message })
      continue
    }
    if (seenTstInfo.has(result.tstInfoSha256))
      fail('VERIFIER_MALFORMED_BUNDLE', 'duplicate RFC 3161 timestamp')
    seenTstInfo.add(result.tstInfoSha256)
    verified.push(result)
  }
  return { verified, ignored }
}
