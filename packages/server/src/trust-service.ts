import { createHash, createPublicKey, X509Certificate } from 'node:crypto'
import type { Logger } from '@certus-trust/core'
import {
  entryFieldsForRecord,
  type LogEntry,
  parseEntryBody,
  RekorError,
  toBundleTransparencyLogEntry,
  verifyDigestSignature,
} from '@certus-trust/rekor'
import type { Signer, SignResult } from '@certus-trust/signer'
import type { JsonValue, SignedArtifact, Storage } from '@certus-trust/storage'
import type { VerificationPolicy, VerificationResult, Verifier } from '@certus-trust/verifier'
import { VerifierError } from '@certus-trust/verifier'
import { verifiedCertificateChain } from './certificate-chain.js'
import { ServerError } from './errors.js'
import type { ServerMetrics } from './metrics.js'
import { observeLogCall } from './metrics.js'
import type {
  SignRequest,
  SignResponse,
  TransparencyEntry,
  TransparencyList,
  VerifyPolicy,
  VerifyRequest,
  VerifyResponse,
} from './schemas.js'
import type { OperationContext, ReadinessCheck, TrustService } from './service.js'

/** The read side of a transparency log, as both the embedded log and a remote Rekor client offer it. */
export interface LogReader {
  /** `embedded` or `rekor`, for metrics and readiness. */
  readonly backend: string
  /** The entry (with inclusion proof), or undefined when the log does not hold it. */
  getEntry(id: string, signal?: AbortSignal): Promise<LogEntry | undefined>
  /** Entry IDs recorded for `sha256:<hex>`. */
  searchByHash(digest: string, signal?: AbortSignal): Promise<string[]>
  /** Cheap liveness probe. */
  ping(): Promise<void>
}

/** Verifiers by trust scope: entries of our own log are checked online against it; others offline. */
export interface VerifierSet {
  /** Verifies bundles whose entries come from this server's log (checked online against it). */
  local: Verifier
  /** Verifies every other bundle (public-good or configured trusted root), offline. */
  external: Verifier
  /** Hex log IDs of the log(s) `local` covers. */
  localLogIds: ReadonlySet<string>
  /** Whether bundles without any log entry go to `local` (transparency off: this server's own bundles). */
  entrylessIsLocal?: boolean
}

/** What {@link createTrustService} composes. */
export interface TrustServiceOptions {
  storage: Storage
  signer: Signer
  verifiers: VerifierSet
  /** The transparency log to read from; undefined when transparency is off. */
  log?: LogReader | undefined
  /** PEM public key of the server's signing key (default policy for key-signed bundles); undefined when keyless. */
  signingPublicKeyPem?: string | undefined
  metrics?: ServerMetrics | undefined
  logger?: Logger | undefined
  /** Largest number of log entries examined when matching a bare signature. @default 50 */
  maxSearchEntries?: number
}

const iso = (seconds: number | undefined) => new Date((seconds ?? 0) * 1000).toISOString()

/** `sha256:<hex>` of a PEM key's (or certificate's key's) DER SPKI. */
function keyFingerprint(pem: string): string {
  const key = pem.includes('CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem)
  return `sha256:${createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`
}

function certificateIdentity(pem: string): string | undefined {
  const san = new X509Certificate(pem).subjectAltName
  const first = san?.split(', ')[0]
  return first?.replace(/^(email|URI|DNS|IP Address):/, '')
}

function signerName(record: {
  publicKey?: string | undefined
  certificate?: string | undefined
}): string | null {
  try {
    if (record.certificate)
      return certificateIdentity(record.certificate) ?? keyFingerprint(record.certificate)
    if (record.publicKey) return keyFingerprint(record.publicKey)
  } catch {
    // A record whose key cannot be parsed still lists; it just has no signer name.
  }
  return null
}

function signatureOf(result: SignResult): string {
  const bundle = result.bundle as {
    messageSignature?: { signature: string }
    dsseEnvelope?: { signatures: Array<{ sig: string }> }
  }
  return bundle.messageSignature?.signature ?? bundle.dsseEnvelope?.signatures[0]?.sig ?? ''
}

function responseFromRecord(record: SignedArtifact): SignResponse {
  return {
    entry_id: record.transparencyEntryUuid ?? record.id,
    signature: record.signature,
    ...(record.certificate ? { certificate: record.certificate } : {}),
    ...(record.publicKey ? { public_key: record.publicKey } : {}),
    ...(record.transparencyEntryUuid !== undefined
      ? {
          transparency_entry: {
            uuid: record.transparencyEntryUuid,
            index: record.logIndex ?? 0,
            timestamp: iso(record.integratedTime),
          },
        }
      : {}),
    bundle: record.bundle as Record<string, unknown>,
  }
}

/** Serialises work per key inside this process (idempotent retries that race each other). */
function createKeyedMutex() {
  const tails = new Map<string, Promise<unknown>>()
  return async function withKey<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve()
    const run = previous.catch(() => {}).then(work)
    tails.set(key, run)
    try {
      return await run
    } finally {
      if (tails.get(key) === run) tails.delete(key)
    }
  }
}

/** Verifier error codes that mean "the request itself is unusable" (4xx) rather than "the signature is not valid". */
const REQUEST_ERRORS = new Set([
  'VERIFIER_MALFORMED_BUNDLE',
  'VERIFIER_UNSUPPORTED_BUNDLE',
  'VERIFIER_INVALID_POLICY',
  'VERIFIER_UNSUPPORTED',
  'VERIFIER_INVALID_ARTIFACT',
  'VERIFIER_MALFORMED_TRUSTED_ROOT',
  'VERIFIER_TRUST_ROOT_UNAVAILABLE',
])

/**
 * The server's trust operations over the libraries: signer + log (sign), verifier (verify), log + storage
 * (look up). Records are written once, after the log acknowledged the entry, so a failure never leaves a
 * record that claims an entry the log does not have.
 */
export function createTrustService(options: TrustServiceOptions): TrustService {
  const { storage, signer, verifiers, log, metrics } = options
  const maxSearch = options.maxSearchEntries ?? 50
  const withKey = createKeyedMutex()

  const readLog = <T>(operation: string, call: () => Promise<T>) =>
    observeLogCall(metrics, { operation, backend: log?.backend ?? 'none' }, call)

  async function findIdempotent(request: SignRequest): Promise<SignedArtifact | undefined> {
    let cursor: string | undefined
    // Records of one artifact are few; scan them for the key (storage enforces uniqueness on save).
    for (let page = 0; page < 20; page += 1) {
      const result = await storage.listSignedArtifactsByHash(request.artifact, {
        limit: 100,
        ...(cursor ? { cursor } : {}),
      })
      const found = result.items.find((item) => item.idempotencyKey === request.idempotency_key)
      if (found) return found
      if (!result.nextCursor) return undefined
      cursor = result.nextCursor
    }
    return undefined
  }

  async function signOnce(request: SignRequest): Promise<SignResponse> {
    const hex = request.artifact.slice('sha256:'.length)
    const predicate = request.predicates?.[0]
    // No client abort signal here: once the log has the entry the record must be written, whoever hung up.
    const result = predicate
      ? await signer.attest({
          subjects: [{ name: request.subject, digest: { sha256: hex } }],
          predicateType: predicate.type,
          predicate: predicate.predicate,
        })
      : await signer.sign(request.artifact)
    const entry = result.logEntries[0]
    const fields = entry ? entryFieldsForRecord(entry) : undefined
    const record = await saveRecord(request, result, entry, fields)
    return responseFromRecord(record)
  }

  async function saveRecord(
    request: SignRequest,
    result: SignResult,
    entry: LogEntry | undefined,
    fields: ReturnType<typeof entryFieldsForRecord> | undefined,
  ): Promise<SignedArtifact> {
    try {
      return await insertRecord(request, result, entry, fields)
    } catch (error) {
      if ((error as { code?: string })?.code !== 'STORAGE_CONFLICT') throw error
      // The same entry was recorded before (deterministic signature of the same digest): that record stands.
      const existing = entry
        ? await storage.getSignedArtifactByEntryUuid(entry.uuid.toLowerCase()).catch(() => undefined)
        : undefined
      if (existing && existing.artifactHash === request.artifact) return existing
      if (request.idempotency_key) {
        throw new ServerError({
          code: 'SERVER_IDEMPOTENCY_CONFLICT',
          message: 'this idempotency_key was already used for a different artifact',
          cause: error,
        })
      }
      throw error
    }
  }

  async function insertRecord(
    request: SignRequest,
    result: SignResult,
    entry: LogEntry | undefined,
    fields: ReturnType<typeof entryFieldsForRecord> | undefined,
  ): Promise<SignedArtifact> {
    return storage.saveSignedArtifact({
      artifactHash: request.artifact,
      artifactType: request.artifact_type,
      subject: request.subject,
      signature: signatureOf(result),
      ...(result.certificatePem ? { certificate: result.certificatePem } : {}),
      ...(result.publicKeyPem ? { publicKey: result.publicKeyPem } : {}),
      bundle: result.bundle as unknown as { [key: string]: JsonValue },
      ...(entry && fields
        ? {
            transparencyEntryUuid: entry.uuid.toLowerCase(),
            logIndex: fields.logIndex,
            integratedTime: fields.integratedTime,
            logId: entry.logID.toLowerCase(),
          }
        : {}),
      ...(request.predicates ? { predicates: request.predicates as unknown as JsonValue } : {}),
      ...(request.idempotency_key ? { idempotencyKey: request.idempotency_key } : {}),
    })
  }

  async function sign(request: SignRequest): Promise<SignResponse> {
    const key = request.idempotency_key
    if (!key) return signOnce(request)
    return withKey(key, async () => {
      const existing = await findIdempotent(request)
      if (existing) {
        if (existing.artifactType !== request.artifact_type || existing.subject !== request.subject) {
          throw new ServerError({
            code: 'SERVER_IDEMPOTENCY_CONFLICT',
            message: 'this idempotency_key was already used for a different request',
          })
        }
        return responseFromRecord(existing)
      }
      return signOnce(request)
    })
  }

  function toPolicy(
    policy: VerifyPolicy | undefined,
    fallbackKeyPem: string | undefined,
    hasCertificate: boolean,
  ): VerificationPolicy {
    if (policy?.public_key) return { publicKey: policy.public_key }
    const identity =
      policy?.certificate_identity || policy?.certificate_identity_regexp || policy?.certificate_oidc_issuer
    if (identity) {
      return {
        ...(policy?.certificate_identity ? { identity: policy.certificate_identity } : {}),
        ...(policy?.certificate_identity_regexp ? { identityRegex: policy.certificate_identity_regexp } : {}),
        ...(policy?.certificate_oidc_issuer ? { issuer: policy.certificate_oidc_issuer } : {}),
      }
    }
    if (!hasCertificate && fallbackKeyPem) return { publicKey: fallbackKeyPem }
    throw new ServerError({
      code: 'SERVER_BAD_REQUEST',
      message: hasCertificate
        ? 'a certificate-signed bundle needs policy.certificate_identity (or _regexp) and policy.certificate_oidc_issuer'
        : 'give policy.public_key: this server has no signing key to default to',
    })
  }

  function logIdOf(bundle: Record<string, unknown>): string | undefined {
    const material = bundle.verificationMaterial as
      | { tlogEntries?: Array<{ logId?: { keyId?: unknown } }> }
      | undefined
    const keyId = material?.tlogEntries?.[0]?.logId?.keyId
    return typeof keyId === 'string' ? Buffer.from(keyId, 'base64').toString('hex') : undefined
  }

  function hasCertificate(bundle: Record<string, unknown>): boolean {
    const material = bundle.verificationMaterial as Record<string, unknown> | undefined
    return Boolean(material?.certificate || material?.x509CertificateChain)
  }

  function verifiedResponse(
    result: VerificationResult,
    bundle: Record<string, unknown>,
    verifier: Verifier,
  ): VerifyResponse {
    const entry = result.tlogEntries[0]
    const signer = result.signer
    const chain =
      signer.kind === 'certificate'
        ? verifiedCertificateChain(bundle, signer, verifier.trustMaterial)
        : undefined
    return {
      valid: true,
      verified_at: new Date().toISOString(),
      signer: signer.kind === 'certificate' ? signer.identity : `sha256:${signer.keyId}`,
      ...(signer.kind === 'certificate' && signer.issuer ? { issuer: signer.issuer } : {}),
      transparency_index: entry ? Number(entry.logIndex) : null,
      ...(chain ? { certificate_chain: chain } : {}),
    }
  }

  async function runVerifier(
    bundle: Record<string, unknown>,
    artifact: string,
    policy: VerificationPolicy,
  ): Promise<VerifyResponse> {
    const logId = logIdOf(bundle)
    const isLocal =
      logId === undefined ? verifiers.entrylessIsLocal === true : verifiers.localLogIds.has(logId)
    const verifier = isLocal ? verifiers.local : verifiers.external
    try {
      return verifiedResponse(await verifier.verify(bundle, { digest: artifact }, policy), bundle, verifier)
    } catch (error) {
      if (VerifierError.is(error) && !REQUEST_ERRORS.has(error.code)) {
        return {
          valid: false,
          verified_at: new Date().toISOString(),
          signer: null,
          transparency_index: null,
          failure: { code: error.code, message: error.message },
        }
      }
      throw error
    }
  }

  async function findEntryForSignature(artifact: string, signature: Buffer): Promise<LogEntry | undefined> {
    if (!log) return undefined
    const ids = await readLog('search', () => log.searchByHash(artifact))
    for (const id of ids.slice(-maxSearch).reverse()) {
      const entry = await readLog('get_entry', () => log.getEntry(id))
      if (!entry) continue
      try {
        const body = parseEntryBody(entry.body)
        if (body.kind !== 'hashedrekord') continue
        const recorded = Buffer.from(body.spec.signature.content, 'base64')
        if (recorded.equals(signature)) return entry
      } catch {
        // An entry we cannot parse is not the one we look for.
      }
    }
    return undefined
  }

  function invalid(code: string, message: string): VerifyResponse {
    return {
      valid: false,
      verified_at: new Date().toISOString(),
      signer: null,
      transparency_index: null,
      failure: { code, message },
    }
  }

  async function verifySignature(
    request: Extract<VerifyRequest, { signature: string }>,
  ): Promise<VerifyResponse> {
    const keyPem =
      request.public_key ?? request.certificate ?? request.policy?.public_key ?? options.signingPublicKeyPem
    if (!keyPem) {
      throw new ServerError({
        code: 'SERVER_BAD_REQUEST',
        message: 'give public_key or certificate with a bare signature',
      })
    }
    let key: ReturnType<typeof createPublicKey>
    try {
      key = keyPem.includes('CERTIFICATE') ? new X509Certificate(keyPem).publicKey : createPublicKey(keyPem)
    } catch (error) {
      throw new ServerError({
        code: 'SERVER_BAD_REQUEST',
        message: 'the public key or certificate cannot be parsed',
        cause: error,
      })
    }
    const signature = Buffer.from(request.signature, 'base64')
    const digest = Buffer.from(request.artifact.slice('sha256:'.length), 'hex')
    if (!verifyDigestSignature(key, 'sha256', digest, signature)) {
      return invalid(
        'VERIFIER_SIGNATURE_MISMATCH',
        'the signature does not verify over the artifact digest with the given key',
      )
    }
    if (!log) {
      // Transparency is off: the signature is all there is to check.
      return {
        valid: true,
        verified_at: new Date().toISOString(),
        signer: keyFingerprint(keyPem),
        transparency_index: null,
      }
    }
    const entry = await findEntryForSignature(request.artifact, signature)
    if (!entry) {
      return invalid(
        'VERIFIER_TLOG_ENTRY_MISSING',
        'no transparency log entry records this signature for the artifact',
      )
    }
    // Rebuild the bundle the entry stands for and run the full verification (SET, checkpoint, proof, body, key).
    const bundle: Record<string, unknown> = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {
        ...(keyPem.includes('CERTIFICATE')
          ? { certificate: { rawBytes: new X509Certificate(keyPem).raw.toString('base64') } }
          : { publicKey: { hint: keyFingerprint(keyPem).slice('sha256:'.length) } }),
        tlogEntries: [toBundleTransparencyLogEntry(entry)],
        timestampVerificationData: { rfc3161Timestamps: [] },
      },
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: digest.toString('base64') },
        signature: request.signature,
      },
    }
    const policy = keyPem.includes('CERTIFICATE')
      ? toPolicy(request.policy, undefined, true)
      : { publicKey: keyPem }
    return runVerifier(bundle, request.artifact, policy)
  }

  async function verify(request: VerifyRequest): Promise<VerifyResponse> {
    if ('bundle' in request) {
      const policy = toPolicy(request.policy, options.signingPublicKeyPem, hasCertificate(request.bundle))
      return runVerifier(request.bundle, request.artifact, policy)
    }
    return verifySignature(request)
  }

  async function recordVerification(request: VerifyRequest, response: VerifyResponse): Promise<void> {
    const signature =
      'signature' in request
        ? request.signature
        : ((request.bundle.messageSignature as { signature?: unknown } | undefined)?.signature ??
          (request.bundle.dsseEnvelope as { signatures?: Array<{ sig?: unknown }> } | undefined)
            ?.signatures?.[0]?.sig)
    await storage.saveVerificationRecord({
      artifactHash: request.artifact,
      ...(typeof signature === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(signature) ? { signature } : {}),
      valid: response.valid,
      ...(response.signer ? { signer: response.signer } : {}),
      ...(response.issuer ? { issuer: response.issuer } : {}),
      ...(response.transparency_index !== null ? { transparencyIndex: response.transparency_index } : {}),
      ...(response.failure
        ? { failureCode: response.failure.code, failureMessage: response.failure.message.slice(0, 1000) }
        : {}),
    })
  }

  function entryView(
    entry: LogEntry,
    record: SignedArtifact | undefined,
    includeProof: boolean,
  ): TransparencyEntry {
    const body = parseEntryBody(entry.body)
    const fields = entryFieldsForRecord(entry, body)
    const signer = fields.signer.subjectAlternativeName ?? fields.signer.keyFingerprint
    const proof = entry.verification?.inclusionProof
    return {
      entry_id: entry.uuid.toLowerCase(),
      uuid: fields.uuid,
      artifact: record?.artifactHash ?? fields.artifactHash,
      timestamp: iso(entry.integratedTime),
      signer,
      signature: fields.signature,
      log_index: entry.logIndex,
      kind: body.kind,
      body: entry.body,
      ...(entry.verification?.signedEntryTimestamp
        ? { signed_entry_timestamp: entry.verification.signedEntryTimestamp }
        : {}),
      ...(includeProof && proof
        ? {
            proof: {
              log_index: proof.logIndex,
              tree_size: proof.treeSize,
              root_hash: proof.rootHash,
              hashes: proof.hashes,
              checkpoint: proof.checkpoint,
            },
          }
        : {}),
    }
  }

  function recordView(record: SignedArtifact): TransparencyEntry {
    const entry = (
      record.bundle.verificationMaterial as { tlogEntries?: Array<Record<string, unknown>> } | undefined
    )?.tlogEntries?.[0]
    const kind =
      (entry?.kindVersion as { kind?: string } | undefined)?.kind ??
      (record.bundle.dsseEnvelope ? 'dsse' : 'hashedrekord')
    const id = record.transparencyEntryUuid ?? record.id
    return {
      entry_id: id,
      uuid: id.slice(-64),
      artifact: record.artifactHash,
      timestamp: iso(record.integratedTime),
      signer: signerName(record),
      signature: record.signature,
      log_index: record.logIndex ?? 0,
      kind,
      body: typeof entry?.canonicalizedBody === 'string' ? entry.canonicalizedBody : '',
      ...((entry?.inclusionPromise as { signedEntryTimestamp?: string } | undefined)?.signedEntryTimestamp
        ? {
            signed_entry_timestamp: (entry!.inclusionPromise as { signedEntryTimestamp: string })
              .signedEntryTimestamp,
          }
        : {}),
    }
  }

  function requireLog(): LogReader {
    if (!log) {
      throw new ServerError({
        code: 'SERVER_FEATURE_DISABLED',
        message: 'transparency is off on this server (CERTUS_TRUST_ENABLE_TRANSPARENCY=false)',
      })
    }
    return log
  }

  return {
    async sign(request, _context: OperationContext) {
      return sign(request)
    },

    async verify(request, _context: OperationContext) {
      const response = await verify(request)
      await recordVerification(request, response)
      return response
    },

    async getEntry(entryId, { includeProof }) {
      const reader = requireLog()
      let entry: LogEntry | undefined
      try {
        entry = await readLog('get_entry', () => reader.getEntry(entryId))
      } catch (error) {
        if (
          RekorError.is(error, 'REKOR_NOT_FOUND') ||
          (error as { code?: string })?.code === 'TLOG_INVALID_REQUEST'
        ) {
          entry = undefined
        } else {
          throw error
        }
      }
      if (!entry)
        throw new ServerError({ code: 'SERVER_NOT_FOUND', message: 'no transparency entry with that id' })
      const record = await storage.getSignedArtifactByEntryUuid(entryId).catch((error: unknown) => {
        if ((error as { code?: string })?.code === 'STORAGE_NOT_FOUND') return undefined
        throw error
      })
      return entryView(entry, record, includeProof)
    },

    async listEntries(artifact, page): Promise<TransparencyList> {
      requireLog()
      const result = await storage.listSignedArtifactsByHash(artifact, {
        limit: page.limit,
        ...(page.cursor ? { cursor: page.cursor } : {}),
      })
      return {
        entries: result.items.filter((record) => record.transparencyEntryUuid !== undefined).map(recordView),
        ...(result.nextCursor ? { next_cursor: result.nextCursor } : {}),
      }
    },

    async checkReady() {
      const checks: Record<string, ReadinessCheck> = {}
      const probe = async (name: string, call: () => Promise<unknown>) => {
        try {
          await withTimeout(call(), 3000)
          checks[name] = { ok: true }
        } catch (error) {
          checks[name] = { ok: false, message: (error as { code?: string })?.code ?? 'check failed' }
        }
      }
      await Promise.all([
        probe('storage', () => storage.listSignedArtifacts({ limit: 1 })),
        ...(log ? [probe('log', () => log.ping())] : []),
      ])
      return checks
    },
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ServerError({ code: 'SERVER_UNAVAILABLE', message: 'check timed out' })),
      ms,
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
