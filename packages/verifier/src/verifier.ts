import { createHash, type KeyObject } from 'node:crypto'
import {
  bytesEqual,
  hashFromProtobufName,
  type Logger,
  noopLogger,
  preAuthEncoding,
} from '@certus-trust/core'
import {
  type FulcioExtensions,
  fulcioExtensions,
  identityNames,
  type SubjectAltNames,
  subjectAltNames,
} from '@certus-trust/core/x509'
import { type ArtifactInput, type ResolvedArtifact, resolveArtifact } from './artifact.js'
import { type ParsedBundle, parseBundle } from './bundle.js'
import { ChainCache, verifyCertificateChain } from './chain.js'
import { matchDsseSubject } from './dsse-subject.js'
import { fail, VerifierError } from './errors.js'
import {
  checkIdentity,
  importPolicyKey,
  isPublicKeyPolicy,
  type PublicKeyPolicy,
  type VerificationPolicy,
  validatePolicy,
} from './policy.js'
import { verifyScts } from './sct.js'
import { defaultHash, verifyMessageSignature, verifyOverData } from './signature.js'
import { verifyEntryBody } from './tlog-body.js'
import { verifyTlogEntry } from './tlog-entry.js'
import { publicGoodTrustMaterial } from './trust.js'
import {
  isTrustMaterial,
  parseTrustedRoot,
  type TrustedLog,
  type TrustMaterial,
  within,
} from './trust-root.js'
import { type IgnoredTimestamp, type UnverifiedTimestampPolicy, verifyRfc3161Timestamps } from './tsa.js'
import { viaX509 } from './x509.js'

/** Names of the checks a verification ran (reported in the result, in order). */
export type VerificationCheck =
  | 'bundle-format'
  | 'artifact-digest'
  | 'dsse-subject'
  | 'signature'
  | 'tlog-signed-entry-timestamp'
  | 'tlog-checkpoint-signature'
  | 'tlog-inclusion-proof'
  | 'tlog-body'
  | 'rfc3161-timestamp'
  | 'certificate-chain'
  | 'certificate-validity'
  | 'sct'
  | 'public-key'
  | 'identity-policy'
  | 'online-entry'

/** The signer, as established by the verification. */
export type VerifiedSigner =
  | {
      kind: 'certificate'
      /**
       * Who signed: the identity SAN (URI, email or Fulcio username) that satisfied the policy, or the first
       * identity SAN under `allowAnyIdentity` (empty when the certificate has none).
       */
      identity: string
      /** OIDC issuer from the Fulcio extension, when present. */
      issuer?: string
      subjectAlternativeNames: SubjectAltNames
      extensions: FulcioExtensions
      /** SHA-256 of the certificate DER, hex. */
      certificateFingerprint: string
      /** URI of the certificate authority that issued it. */
      certificateAuthority: string
      /** DER certificates of the validated chain, leaf first up to the trusted root. */
      certificateChain: Uint8Array[]
    }
  | {
      kind: 'publicKey'
      /** SHA-256 of the DER SPKI, hex. */
      keyId: string
      /** The bundle's key hint, if any. */
      hint: string
    }

/** A log entry the verification accepted. */
export interface VerifiedTlogEntry {
  baseUrl: string
  /** hex */
  logId: string
  logIndex: string
  kind: string
  version: string
  /** hex SHA-256(0x00 ‖ body): Rekor's entry UUID. */
  uuid: string
  integratedTime?: Date
  verifiedBy: Array<'signed-entry-timestamp' | 'inclusion-proof'>
  checkpoint?: { origin: string; treeSize: string }
}

/** A trusted time the signature is known to have existed at. */
export interface VerifiedTime {
  kind: 'transparency-log' | 'timestamp-authority'
  time: Date
  /** Log base URL or TSA URI. */
  source: string
}

/** What a successful verification established. */
export interface VerificationResult {
  bundleVersion: ParsedBundle['version']
  contentType: 'message-signature' | 'dsse'
  signer: VerifiedSigner
  /** Earliest verified time. */
  signedAt: Date
  timestamps: VerifiedTime[]
  tlogEntries: VerifiedTlogEntry[]
  artifact: { sha256: string }
  /** For DSSE in-toto bundles: the statement's type and subjects. */
  statement?: { predicateType?: string; subjects: Array<{ name?: string; digest: Record<string, string> }> }
  /**
   * RFC 3161 timestamps that did not verify and were left out (`unverifiedTimestamps: 'ignore'`); empty when
   * every token verified. Under `'reject'` such a token fails the verification instead.
   */
  ignoredTimestamps: IgnoredTimestamp[]
  checks: VerificationCheck[]
}

/** Looks up an entry in a live Rekor for the optional online check (e.g. wraps @certus-trust/rekor's client). */
export interface EntryLookup {
  /** Returns the entry with this UUID (base64 `body`), or undefined/null when the log does not hold it. */
  getEntry(uuid: string, options?: { signal?: AbortSignal }): Promise<{ body: string } | undefined | null>
}

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /**
   * Trust material: a TrustedRoot JSON (text or object) or material built by `parseTrustedRoot`,
   * `loadTrustedRootFile` or `fetchTrustedRoot`.
   * @default the embedded public-good production root
   */
  trustedRoot?: TrustMaterial | string | Record<string, unknown>
  /** Minimum verified SCTs for certificates. @default 1 */
  ctlogThreshold?: number
  /** Minimum verified transparency log entries. @default 1 */
  tlogThreshold?: number
  /** Minimum verified timestamps (SET-backed integrated times plus RFC 3161 tokens). @default 1 */
  timestampThreshold?: number
  /** Check that each entry still exists (same body) in the log through this lookup. @default none (offline) */
  online?: EntryLookup
  /**
   * What to do with an RFC 3161 timestamp that does not verify (malformed, from a TSA not trusted at its time, a
   * bad signature or message imprint): `'ignore'` leaves it out of `timestampThreshold` and reports it in
   * {@link VerificationResult.ignoredTimestamps} (as sigstore-go and sigstore-python do); `'reject'` fails the
   * verification with `VERIFIER_TIMESTAMP_INVALID` (as sigstore-js does). A repeated token is always rejected.
   * @default 'ignore'
   */
  unverifiedTimestamps?: UnverifiedTimestampPolicy
  /** Allowed clock skew for timestamps ahead of `now`, in ms. @default 300000 */
  clockSkewMs?: number
  /** Clock, for tests. @default () => new Date() */
  now?: () => Date
  /** Entries kept in the leaf→issuer cache. @default 10000 */
  chainCacheSize?: number
  /** Receives one debug event per verification (outcome, code, entry UUID; never key material). @default noopLogger */
  logger?: Logger
}

/** One item of a batch. */
export interface BatchItem {
  bundle: unknown
  artifact: ArtifactInput
  policy: VerificationPolicy
}

/** One batch outcome, in input order. */
export type BatchOutcome = { ok: true; result: VerificationResult } | { ok: false; error: VerifierError }

/** Options of {@link Verifier.verifyBatch}. */
export interface BatchOptions {
  /** Items verified at once (artifact reads overlap). @default 4 */
  concurrency?: number
  /** Called after each item with the number done and the total. */
  onProgress?: (progress: { done: number; total: number; index: number; ok: boolean }) => void
  signal?: AbortSignal
}

/** A reusable verifier: parsed trust material, imported keys and validated chains are cached on it. */
export interface Verifier {
  readonly trustMaterial: TrustMaterial
  /**
   * Verifies `bundle` (JSON text, bytes or object) for `artifact` under `policy`.
   * @throws VerifierError with the code of the failed check.
   */
  verify(bundle: unknown, artifact: ArtifactInput, policy: VerificationPolicy): Promise<VerificationResult>
  /** Verifies many bundles with shared caches; never throws for an item, reports each outcome. */
  verifyBatch(items: BatchItem[], options?: BatchOptions): Promise<BatchOutcome[]>
}

function toMaterial(value: VerifierOptions['trustedRoot']): TrustMaterial {
  if (value === undefined) return publicGoodTrustMaterial()
  if (isTrustMaterial(value)) return value
  return parseTrustedRoot(value)
}

/**
 * Creates a {@link Verifier}. Build one per trust root and reuse it: that is where the caches live.
 *
 * @example
 * const verifier = createVerifier() // public-good root, offline
 * const result = await verifier.verify(bundleJson, 'dist/app.tgz', {
 *   identity: 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main',
 *   issuer: 'https://token.actions.githubusercontent.com',
 * })
 */
export function createVerifier(options: VerifierOptions = {}): Verifier {
  const trustMaterial = toMaterial(options.trustedRoot)
  const settings = {
    ctlogThreshold: options.ctlogThreshold ?? 1,
    tlogThreshold: options.tlogThreshold ?? 1,
    timestampThreshold: options.timestampThreshold ?? 1,
    clockSkewMs: options.clockSkewMs ?? 300_000,
    unverifiedTimestamps: options.unverifiedTimestamps ?? 'ignore',
    now: options.now ?? (() => new Date()),
  }
  const chainCache = new ChainCache(options.chainCacheSize ?? 10_000)
  const policyKeys = new WeakMap<object, { key: KeyObject; spki: Buffer }>()
  const stringKeys = new Map<string, { key: KeyObject; spki: Buffer }>()

  function policyKey(policy: PublicKeyPolicy) {
    const source = policy.publicKey
    const cached = typeof source === 'string' ? stringKeys.get(source) : policyKeys.get(source as object)
    if (cached) return cached
    const key = importPolicyKey(source)
    const entry = { key, spki: key.export({ type: 'spki', format: 'der' }) }
    if (typeof source === 'string') {
      if (stringKeys.size > 1000) stringKeys.clear()
      stringKeys.set(source, entry)
    } else {
      policyKeys.set(source as object, entry)
    }
    return entry
  }

  async function verifyParsed(
    bundle: ParsedBundle,
    artifact: ResolvedArtifact,
    policy: VerificationPolicy,
  ): Promise<VerificationResult> {
    const checks: VerificationCheck[] = ['bundle-format']
    const { content, material } = bundle

    // 1. Key material must fit the policy.
    let signingKey: KeyObject
    let signerSpki: Uint8Array
    if (isPublicKeyPolicy(policy)) {
      if (material.kind !== 'publicKey')
        fail(
          'VERIFIER_KEY_MISMATCH',
          'the policy names a public key but the bundle is signed with a certificate',
        )
      const entry = policyKey(policy)
      signingKey = entry.key
      signerSpki = entry.spki
    } else {
      if (material.kind !== 'certificate')
        fail(
          'VERIFIER_KEY_MISMATCH',
          'the bundle is signed with a public key: verify it with that key, not an identity',
        )
      signingKey = material.certificate.publicKey()
      signerSpki = material.certificate.spki
    }

    // 2. Artifact binding and 3. the signature itself.
    let statement: VerificationResult['statement']
    let dsse: { payloadSha256: Buffer; paeSha256: Buffer } | undefined
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
    } else {
      statement = matchDsseSubject(content.payloadType, content.payload, artifact)
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
      dsse = {
        payloadSha256: createHash('sha256').update(content.payload).digest(),
        paeSha256: createHash('sha256').update(pae).digest(),
      }
    }

    // 4. Transparency log entries.
    const timestamps: VerifiedTime[] = []
    const tlogEntries: VerifiedTlogEntry[] = []
    const checkpointOnlyLogs: TrustedLog[] = []
    const seen = new Set<string>()
    const now = settings.now().getTime()
    const bodyExpectations = {
      signature: content.signature,
      signer: {
        spki: signerSpki,
        certificate: material.kind === 'certificate' ? material.certificate.der : undefined,
      },
      artifactDigest: (algorithm: string) => artifact.digest(algorithm),
      dsse,
    }
    for (const entry of bundle.tlogEntries) {
      const verified = verifyTlogEntry(entry, trustMaterial.tlogs, checks)
      const identity = `${entry.logId.toString('hex')}:${verified.uuid}`
      if (seen.has(identity)) fail('VERIFIER_MALFORMED_BUNDLE', 'duplicate transparency log entry')
      seen.add(identity)
      tlogEntries.push(verified.result)
      if (verified.setTime !== undefined) {
        timestamps.push({
          kind: 'transparency-log',
          time: new Date(verified.setTime),
          source: verified.log.baseUrl,
        })
      } else {
        checkpointOnlyLogs.push(verified.log)
      }
    }
    if (tlogEntries.length < settings.tlogThreshold) {
      fail(
        'VERIFIER_TLOG_ENTRY_MISSING',
        `expected ${settings.tlogThreshold} transparency log entries, got ${tlogEntries.length}`,
      )
    }

    // 5. RFC 3161 timestamps over the signature.
    const stamped = await verifyRfc3161Timestamps(
      bundle.rfc3161Timestamps,
      content.signature,
      trustMaterial.timestampAuthorities,
      settings.unverifiedTimestamps,
    )
    for (const verified of stamped.verified) {
      timestamps.push({
        kind: 'timestamp-authority',
        time: new Date(verified.time),
        source: verified.authority.uri,
      })
    }
    if (stamped.verified.length > 0) checks.push('rfc3161-timestamp')
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
    // A log proven only by its checkpoint must have been trusted when the signature was timestamped.
    for (const log of checkpointOnlyLogs) {
      if (!times.every((at) => within(log.validFor, at)))
        fail('VERIFIER_UNTRUSTED_LOG', 'the transparency log key was not valid at the signing time')
    }

    // 6. Signer: certificate chain, validity, SCTs, identity — or the managed key's window.
    let signer: VerifiedSigner
    let identityCheck = () => {}
    if (material.kind === 'certificate') {
      const leaf = material.certificate
      // Certificates after the leaf (v0.1/v0.2 x509CertificateChain) are never used: the path is built from the
      // trusted root alone, so a root or intermediate supplied by the bundle can neither anchor nor extend it.
      const chain = verifyCertificateChain(leaf, trustMaterial.certificateAuthorities, times, chainCache)
      checks.push('certificate-chain', 'certificate-validity')
      verifyScts(leaf, chain.path[1]!, trustMaterial.ctlogs, settings.ctlogThreshold)
      if (settings.ctlogThreshold > 0) checks.push('sct')
      const names = viaX509('bundle', 'signing certificate', () => subjectAltNames(leaf))
      const extensions = viaX509('bundle', 'signing certificate', () => fulcioExtensions(leaf))
      const certificateSigner = {
        kind: 'certificate' as const,
        identity: identityNames(names)[0] ?? '',
        issuer: extensions.issuer,
        subjectAlternativeNames: names,
        extensions,
        certificateFingerprint: leaf.fingerprint,
        certificateAuthority: chain.authority.uri,
        certificateChain: chain.path.map((certificate) => certificate.der),
      }
      signer = certificateSigner
      identityCheck = () => {
        const matched = checkIdentity(
          validatePolicy(policy) as Exclude<VerificationPolicy, PublicKeyPolicy>,
          names,
          extensions,
        )
        // Report the SAN that satisfied the policy, not merely the first one.
        if (matched !== undefined) certificateSigner.identity = matched
        checks.push('identity-policy')
      }
    } else {
      const window = (policy as PublicKeyPolicy).validFor
      const start = window?.start?.getTime() ?? Number.NEGATIVE_INFINITY
      const end = window?.end?.getTime() ?? Number.POSITIVE_INFINITY
      if (times.some((at) => at < start || at > end))
        fail('VERIFIER_KEY_MISMATCH', 'the public key was not valid at the signing time')
      checks.push('public-key')
      signer = {
        kind: 'publicKey',
        keyId: createHash('sha256').update(signerSpki).digest('hex'),
        hint: material.hint,
      }
    }

    // 7. Each log entry must describe this signature, key and artifact; then who signed must fit the policy.
    for (const entry of bundle.tlogEntries) verifyEntryBody(entry, bodyExpectations)
    checks.push('tlog-body')
    identityCheck()

    // 8. Optional: the entry still exists in the live log.
    if (options.online) {
      for (const [index, entry] of bundle.tlogEntries.entries()) {
        let found: { body: string } | undefined | null
        try {
          found = await options.online.getEntry(tlogEntries[index]!.uuid)
        } catch (error) {
          fail('VERIFIER_ONLINE_CHECK_FAILED', 'the online log lookup failed', error)
        }
        if (!found || !bytesEqual(Buffer.from(found.body, 'base64'), entry.canonicalizedBody)) {
          fail(
            'VERIFIER_ONLINE_CHECK_FAILED',
            `entry ${tlogEntries[index]!.uuid} is not in the log (or differs)`,
          )
        }
      }
      checks.push('online-entry')
    }

    return {
      bundleVersion: bundle.version,
      contentType: content.kind === 'message' ? 'message-signature' : 'dsse',
      signer,
      signedAt: new Date(Math.min(...times)),
      timestamps,
      tlogEntries,
      artifact: { sha256: `sha256:${artifact.sha256.toString('hex')}` },
      statement,
      ignoredTimestamps: stamped.ignored,
      checks,
    }
  }

  const logger = options.logger ?? noopLogger

  async function verify(
    bundle: unknown,
    artifactInput: ArtifactInput,
    policy: VerificationPolicy,
  ): Promise<VerificationResult> {
    try {
      validatePolicy(policy)
      const parsed = parseBundle(bundle)
      const artifact = await resolveArtifact(artifactInput)
      const result = await verifyParsed(parsed, artifact, policy)
      logger.debug(
        { verified: true, uuid: result.tlogEntries[0]?.uuid, signer: result.signer.kind },
        'bundle verified',
      )
      return result
    } catch (error) {
      const typed = VerifierError.is(error)
        ? error
        : // A check threw something untyped (a pathological input reached a library): still a typed failure.
          new VerifierError({
            code: 'VERIFIER_MALFORMED_BUNDLE',
            message: 'bundle could not be verified',
            cause: error,
          })
      logger.debug({ verified: false, code: typed.code }, 'bundle rejected')
      throw typed
    }
  }

  async function verifyBatch(items: BatchItem[], batchOptions: BatchOptions = {}): Promise<BatchOutcome[]> {
    const concurrency = Math.max(1, Math.floor(batchOptions.concurrency ?? 4))
    const outcomes = new Array<BatchOutcome>(items.length)
    let next = 0
    let done = 0
    const worker = async () => {
      while (next < items.length) {
        const index = next++
        const item = items[index]!
        let outcome: BatchOutcome
        if (batchOptions.signal?.aborted) {
          outcome = {
            ok: false,
            error: new VerifierError({
              code: 'VERIFIER_INVALID_POLICY',
              message: 'batch aborted',
              cause: batchOptions.signal.reason,
            }),
          }
        } else {
          try {
            outcome = { ok: true, result: await verify(item.bundle, item.artifact, item.policy) }
          } catch (error) {
            outcome = {
              ok: false,
              error: VerifierError.is(error)
                ? error
                : new VerifierError({
                    code: 'VERIFIER_MALFORMED_BUNDLE',
                    message: 'verification failed unexpectedly',
                    cause: error,
                  }),
            }
          }
        }
        outcomes[index] = outcome
        done++
        batchOptions.onProgress?.({ done, total: items.length, index, ok: outcome.ok })
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
    return outcomes
  }

  return { trustMaterial, verify, verifyBatch }
}

let defaultVerifier: Verifier | undefined

/**
 * Verifies a bundle with the embedded public-good root (or `options.trustedRoot`), offline.
 * For repeated calls, create one verifier with {@link createVerifier} and reuse it.
 *
 * @example
 * const result = await verify(bundleJson, 'sha256:…', { identity: 'me@example.com', issuer: 'https://accounts.google.com' })
 * @throws VerifierError with the code naming the failed check.
 */
export async function verify(
  bundle: unknown,
  artifact: ArtifactInput,
  policy: VerificationPolicy,
  options?: VerifierOptions,
): Promise<VerificationResult> {
  if (options) return createVerifier(options).verify(bundle, artifact, policy)
  defaultVerifier ??= createVerifier()
  return defaultVerifier.verify(bundle, artifact, policy)
}
