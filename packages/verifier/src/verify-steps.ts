// The checks of one verification, as named steps (verifier.ts composes them in order). Each step either returns
// what later steps need or fails with the VerifierError code of its check, and appends the names of the checks it
// ran to `checks`.
import { createHash, type KeyObject } from 'node:crypto'
import { bytesEqual, hashFromProtobufName, preAuthEncoding } from '@certus-trust/core'
import { fulcioExtensions, identityNames, subjectAltNames } from '@certus-trust/core/x509'
import type { ResolvedArtifact } from './artifact.js'
import type { ParsedBundle } from './bundle.js'
import { type ChainCache, verifyCertificateChain } from './chain.js'
import { matchDsseSubject } from './dsse-subject.js'
import { fail } from './errors.js'
import {
  checkIdentity,
  isPublicKeyPolicy,
  type PublicKeyPolicy,
  type VerificationPolicy,
  validatePolicy,
} from './policy.js'
import { verifyScts } from './sct.js'
import { defaultHash, verifyMessageSignature, verifyOverData } from './signature.js'
import { verifyTlogEntry } from './tlog-entry.js'
import { type TrustedLog, type TrustMaterial, within } from './trust-root.js'
import { type IgnoredTimestamp, type UnverifiedTimestampPolicy, verifyRfc3161Timestamps } from './tsa.js'
import type {
  EntryLookup,
  VerificationCheck,
  VerificationResult,
  VerifiedSigner,
  VerifiedTime,
  VerifiedTlogEntry,
} from './verifier.js'
import { viaX509 } from './x509.js'

/** The thresholds and clock a verifier applies. */
export interface VerifierSettings {
  ctlogThreshold: number
  tlogThreshold: number
  timestampThreshold: number
  clockSkewMs: number
  unverifiedTimestamps: UnverifiedTimestampPolicy
  now: () => Date
}

/** What every verification of one verifier shares: trust material, settings and caches. */
export interface VerifierState {
  trustMaterial: TrustMaterial
  settings: VerifierSettings
  chainCache: ChainCache
  /** The policy's public key, imported once per key. */
  policyKey(policy: PublicKeyPolicy): { key: KeyObject; spki: Buffer }
  online: EntryLookup | undefined
}

type BundleMaterial = ParsedBundle['material']
type BundleContent = ParsedBundle['content']

/** 1. The key that signed, which must be the kind the policy names (a managed key, or a certificate). */
export function signingKeyOf(
  state: VerifierState,
  material: BundleMaterial,
  policy: VerificationPolicy,
): { signingKey: KeyObject; signerSpki: Uint8Array } {
  if (isPublicKeyPolicy(policy)) {
    if (material.kind !== 'publicKey')
      fail(
        'VERIFIER_KEY_MISMATCH',
        'the policy names a public key but the bundle is signed with a certificate',
      )
    const entry = state.policyKey(policy)
    return { signingKey: entry.key, signerSpki: entry.spki }
  }
  if (material.kind !== 'certificate')
    fail(
      'VERIFIER_KEY_MISMATCH',
      'the bundle is signed with a public key: verify it with that key, not an identity',
    )
  return { signingKey: material.certificate.publicKey(), signerSpki: material.certificate.spki }
}

/** 2 and 3. The artifact is what the bundle signs (digest or DSSE subject), and the signature verifies. */
export async function checkSignature(
  content: BundleContent,
  artifact: ResolvedArtifact,
  signingKey: KeyObject,
  checks: VerificationCheck[],
): Promise<{
  statement: VerificationResult['statement']
  dsse: { payloadSha256: Buffer; paeSha256: Buffer } | undefined
}> {
  if (content.kind === 'message') {
    // parseBundle admits only known algorithms; the fallback keeps the type total.
    const hash = hashFromProtobufName(content.digestAlgorithm) ?? defaultHash(signingKey)
    const digest = artifact.digest(hash)
    if (!digest)
      fail(
        'VERIFIER_INVALID_ARTIFACT',
        `the bundle records a ${hash} digest, which cannot be computed from a sha256 digest`,
      )
    if (!bytesEqual(digest, content.digest))
      fail('VERIFIER_ARTIFACT_MISMATCH', 'the artifact digest differs from the bundle message digest')
    checks.push('artifact-digest')
    if (!(await verifyMessageSignature(signingKey, content.signature, artifact, hash))) {
      fail('VERIFIER_SIGNATURE_MISMATCH', 'the message signature does not verify for this artifact and key')
    }
    checks.push('signature')
    return { statement: undefined, dsse: undefined }
  }
  const statement = matchDsseSubject(content.payloadType, content.payload, artifact)
  checks.push('dsse-subject')
  const pae = preAuthEncoding(content.payloadType, content.payload)
  if (!verifyOverData(signingKey, pae, content.signature)) {
    // P-384 keys may have signed the PAE with SHA-256 (some signers do).
    if (
      defaultHash(signingKey) === 'sha256' ||
      !verifyOverData(signingKey, pae, content.signature, 'sha256')
    ) {
      fail('VERIFIER_SIGNATURE_MISMATCH', 'the DSSE envelope signature does not verify')
    }
  }
  checks.push('signature')
  return {
    statement,
    dsse: {
      payloadSha256: createHash('sha256').update(content.payload).digest(),
      paeSha256: createHash('sha256').update(pae).digest(),
    },
  }
}

/** What the transparency-log step established. */
export interface LoggedEntries {
  tlogEntries: VerifiedTlogEntry[]
  /** Integrated times backed by a signed entry timestamp. */
  timestamps: VerifiedTime[]
  /** Logs that proved their entry by checkpoint only (no SET): they must have been trusted at the signing time. */
  checkpointOnlyLogs: TrustedLog[]
}

/** 4. Each log entry is proven by a trusted log (SET and/or inclusion proof), once, and there are enough. */
export function checkTlogEntries(
  bundle: ParsedBundle,
  state: VerifierState,
  checks: VerificationCheck[],
): LoggedEntries {
  const logged: LoggedEntries = { tlogEntries: [], timestamps: [], checkpointOnlyLogs: [] }
  const seen = new Set<string>()
  for (const entry of bundle.tlogEntries) {
    const verified = verifyTlogEntry(entry, state.trustMaterial.tlogs, checks)
    const identity = `${entry.logId.toString('hex')}:${verified.uuid}`
    if (seen.has(identity)) fail('VERIFIER_MALFORMED_BUNDLE', 'duplicate transparency log entry')
    seen.add(identity)
    logged.tlogEntries.push(verified.result)
    if (verified.setTime !== undefined) {
      logged.timestamps.push({
        kind: 'transparency-log',
        time: new Date(verified.setTime),
        source: verified.log.baseUrl,
      })
    } else {
      logged.checkpointOnlyLogs.push(verified.log)
    }
  }
  const { tlogThreshold } = state.settings
  if (logged.tlogEntries.length < tlogThreshold) {
    fail(
      'VERIFIER_TLOG_ENTRY_MISSING',
      `expected ${tlogThreshold} transparency log entries, got ${logged.tlogEntries.length}`,
    )
  }
  return logged
}

/**
 * 5. RFC 3161 timestamps over the signature join the log's times; there are enough, none lies in the future, and
 * each checkpoint-only log was trusted at every one of them. Adds the TSA times to `logged.timestamps`.
 */
export async function checkTimestamps(
  bundle: ParsedBundle,
  state: VerifierState,
  logged: LoggedEntries,
  checks: VerificationCheck[],
): Promise<{ times: number[]; ignored: IgnoredTimestamp[] }> {
  const { settings } = state
  const now = settings.now().getTime()
  const stamped = await verifyRfc3161Timestamps(
    bundle.rfc3161Timestamps,
    bundle.content.signature,
    state.trustMaterial.timestampAuthorities,
    settings.unverifiedTimestamps,
  )
  for (const verified of stamped.verified) {
    logged.timestamps.push({
      kind: 'timestamp-authority',
      time: new Date(verified.time),
      source: verified.authority.uri,
    })
  }
  if (stamped.verified.length > 0) checks.push('rfc3161-timestamp')
  const { timestamps } = logged
  if (timestamps.length < settings.timestampThreshold) {
    const ignored = stamped.ignored.length
      ? ` (${stamped.ignored.length} RFC 3161 timestamp(s) ignored: ${stamped.ignored[0]!.message})`
      : ''
    fail(
      'VERIFIER_TIMESTAMP_INVALID',
      `expected ${settings.timestampThreshold} verified timestamps (signed entry timestamp or RFC 3161), got ${timestamps.length}${ignored}`,
    )
  }
  const times = timestamps.map((item) => item.time.getTime())
  if (times.some((at) => at > now + settings.clockSkewMs))
    fail('VERIFIER_TIMESTAMP_INVALID', 'a verified timestamp lies in the future')
  for (const log of logged.checkpointOnlyLogs) {
    if (!times.every((at) => within(log.validFor, at)))
      fail('VERIFIER_UNTRUSTED_LOG', 'the transparency log key was not valid at the signing time')
  }
  return { times, ignored: stamped.ignored }
}

/**
 * 6. The signer: a certificate chained to a trusted CA and valid at every verified time, with its SCTs (the identity
 * policy is checked later, through `identityCheck`), or a managed key valid at every verified time.
 */
export function checkSigner(
  material: BundleMaterial,
  signerSpki: Uint8Array,
  policy: VerificationPolicy,
  state: VerifierState,
  times: number[],
  checks: VerificationCheck[],
): { signer: VerifiedSigner; identityCheck: () => void } {
  if (material.kind !== 'certificate') {
    const window = (policy as PublicKeyPolicy).validFor
    const start = window?.start?.getTime() ?? Number.NEGATIVE_INFINITY
    const end = window?.end?.getTime() ?? Number.POSITIVE_INFINITY
    if (times.some((at) => at < start || at > end))
      fail('VERIFIER_KEY_MISMATCH', 'the public key was not valid at the signing time')
    checks.push('public-key')
    const keyId = createHash('sha256').update(signerSpki).digest('hex')
    return {
      signer: { kind: 'publicKey', keyId, hint: material.hint },
      identityCheck: () => {},
    }
  }
  const leaf = material.certificate
  const { trustMaterial, settings } = state
  // Certificates after the leaf (v0.1/v0.2 x509CertificateChain) are never used: the path is built from the
  // trusted root alone, so a root or intermediate supplied by the bundle can neither anchor nor extend it.
  const chain = verifyCertificateChain(leaf, trustMaterial.certificateAuthorities, times, state.chainCache)
  checks.push('certificate-chain', 'certificate-validity')
  verifyScts(leaf, chain.path[1]!, trustMaterial.ctlogs, settings.ctlogThreshold)
  if (settings.ctlogThreshold > 0) checks.push('sct')
  const names = viaX509('bundle', 'signing certificate', () => subjectAltNames(leaf))
  const extensions = viaX509('bundle', 'signing certificate', () => fulcioExtensions(leaf))
  const signer = {
    kind: 'certificate' as const,
    identity: identityNames(names)[0] ?? '',
    issuer: extensions.issuer,
    subjectAlternativeNames: names,
    extensions,
    certificateFingerprint: leaf.fingerprint,
    certificateAuthority: chain.authority.uri,
    certificateChain: chain.path.map((certificate) => certificate.der),
  }
  const identityCheck = () => {
    const matched = checkIdentity(
      validatePolicy(policy) as Exclude<VerificationPolicy, PublicKeyPolicy>,
      names,
      extensions,
    )
    // Report the SAN that satisfied the policy, not merely the first one.
    if (matched !== undefined) signer.identity = matched
    checks.push('identity-policy')
  }
  return { signer, identityCheck }
}

/** 8. Each entry still exists, with the same body, in the live log. */
export async function checkOnline(
  bundle: ParsedBundle,
  tlogEntries: VerifiedTlogEntry[],
  online: EntryLookup,
  checks: VerificationCheck[],
): Promise<void> {
  for (const [index, entry] of bundle.tlogEntries.entries()) {
    let found: { body: string } | undefined | null
    try {
      found = await online.getEntry(tlogEntries[index]!.uuid)
    } catch (error) {
      fail('VERIFIER_ONLINE_CHECK_FAILED', 'the online log lookup failed', error)
    }
    if (!found || !bytesEqual(Buffer.from(found.body, 'base64'), entry.canonicalizedBody)) {
      fail('VERIFIER_ONLINE_CHECK_FAILED', `entry ${tlogEntries[index]!.uuid} is not in the log (or differs)`)
    }
  }
  checks.push('online-entry')
}
