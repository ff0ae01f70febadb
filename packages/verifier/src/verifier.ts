import type { KeyObject } from 'node:crypto'
import { type Logger, noopLogger } from '@certus-trust/core'
import type { FulcioExtensions, SubjectAltNames } from '@certus-trust/core/x509'
import { type ArtifactInput, type ResolvedArtifact, resolveArtifact } from './artifact.js'
import { type ParsedBundle, parseBundle } from './bundle.js'
import { ChainCache } from './chain.js'
import { VerifierError } from './errors.js'
import { importPolicyKey, type VerificationPolicy, validatePolicy } from './policy.js'
import { verifyEntryBody } from './tlog-body.js'
import { publicGoodTrustMaterial } from './trust.js'
import { isTrustMaterial, parseTrustedRoot, type TrustMaterial } from './trust-root.js'
import type { IgnoredTimestamp, UnverifiedTimestampPolicy } from './tsa.js'
import {
  checkOnline,
  checkSignature,
  checkSigner,
  checkTimestamps,
  checkTlogEntries,
  signingKeyOf,
  type VerifierState,
} from './verify-steps.js'

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
  const state: VerifierState = {
    trustMaterial: toMaterial(options.trustedRoot),
    settings: {
      ctlogThreshold: options.ctlogThreshold ?? 1,
      tlogThreshold: options.tlogThreshold ?? 1,
      timestampThreshold: options.timestampThreshold ?? 1,
      clockSkewMs: options.clockSkewMs ?? 300_000,
      unverifiedTimestamps: options.unverifiedTimestamps ?? 'ignore',
      now: options.now ?? (() => new Date()),
    },
    chainCache: new ChainCache(options.chainCacheSize ?? 10_000),
    policyKey: policyKeyCache(),
    online: options.online,
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
      const result = await verifyParsed(state, parsed, artifact, policy)
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

  return {
    trustMaterial: state.trustMaterial,
    verify,
    verifyBatch: (items, batchOptions) => verifyEach(verify, items, batchOptions),
  }
}

/** Imports each policy's public key once (by object identity, or by its text, up to 1,000 texts). */
function policyKeyCache(): VerifierState['policyKey'] {
  const byObject = new WeakMap<object, { key: KeyObject; spki: Buffer }>()
  const byText = new Map<string, { key: KeyObject; spki: Buffer }>()
  return (policy) => {
    const source = policy.publicKey
    const cached = typeof source === 'string' ? byText.get(source) : byObject.get(source as object)
    if (cached) return cached
    const key = importPolicyKey(source)
    const entry = { key, spki: key.export({ type: 'spki', format: 'der' }) }
    if (typeof source === 'string') {
      if (byText.size > 1000) byText.clear()
      byText.set(source, entry)
    } else {
      byObject.set(source as object, entry)
    }
    return entry
  }
}

/** The checks of one verification, in order: each step is a named function of verify-steps.ts. */
async function verifyParsed(
  state: VerifierState,
  bundle: ParsedBundle,
  artifact: ResolvedArtifact,
  policy: VerificationPolicy,
): Promise<VerificationResult> {
  const checks: VerificationCheck[] = ['bundle-format']
  const { content, material } = bundle
  const { signingKey, signerSpki } = signingKeyOf(state, material, policy)
  const { statement, dsse } = await checkSignature(content, artifact, signingKey, checks)
  const logged = checkTlogEntries(bundle, state, checks)
  const { times, ignored } = await checkTimestamps(bundle, state, logged, checks)
  const { signer, identityCheck } = checkSigner(material, signerSpki, policy, state, times, checks)
  // 7. Each log entry must describe this signature, key and artifact; then who signed must fit the policy.
  const bodyExpectations = {
    signature: content.signature,
    signer: {
      spki: signerSpki,
      certificate: material.kind === 'certificate' ? material.certificate.der : undefined,
    },
    artifactDigest: (algorithm: string) => artifact.digest(algorithm),
    dsse,
  }
  for (const entry of bundle.tlogEntries) verifyEntryBody(entry, bodyExpectations)
  checks.push('tlog-body')
  identityCheck()
  if (state.online) await checkOnline(bundle, logged.tlogEntries, state.online, checks)
  return {
    bundleVersion: bundle.version,
    contentType: content.kind === 'message' ? 'message-signature' : 'dsse',
    signer,
    signedAt: new Date(Math.min(...times)),
    timestamps: logged.timestamps,
    tlogEntries: logged.tlogEntries,
    artifact: { sha256: `sha256:${artifact.sha256.toString('hex')}` },
    statement,
    ignoredTimestamps: ignored,
    checks,
  }
}

/** @internal {@link Verifier.verifyBatch}: `concurrency` items at a time, each outcome reported, none thrown. */
export async function verifyEach(
  verify: Verifier['verify'],
  items: BatchItem[],
  batchOptions: BatchOptions = {},
): Promise<BatchOutcome[]> {
  const concurrency = Math.max(1, Math.floor(batchOptions.concurrency ?? 4))
  const outcomes = new Array<BatchOutcome>(items.length)
  let next = 0
  let done = 0
  const outcomeOf = async (item: BatchItem): Promise<BatchOutcome> => {
    if (batchOptions.signal?.aborted) {
      return {
        ok: false,
        error: new VerifierError({
          code: 'VERIFIER_INVALID_POLICY',
          message: 'batch aborted',
          cause: batchOptions.signal.reason,
        }),
      }
    }
    try {
      return { ok: true, result: await verify(item.bundle, item.artifact, item.policy) }
    } catch (error) {
      return {
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
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      const outcome = await outcomeOf(items[index]!)
      outcomes[index] = outcome
      done++
      batchOptions.onProgress?.({ done, total: items.length, index, ok: outcome.ok })
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  return outcomes
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
