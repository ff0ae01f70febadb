import type { SignatureEncoding } from './signature-encoding.js'
/*
 * The service's operations speak the HTTP API's JSON shapes (snake_case), so the server only validates and
 * forwards. These are plain TypeScript types; the server's zod schemas are the runtime check at the edge.
 */

/** One in-toto predicate to attest instead of a plain message signature. */
export interface Predicate {
  /** Predicate type URI. */
  type: string
  predicate: Record<string, unknown>
}

/** What to sign: a digest, or (with `predicates`) an in-toto statement about it. */
export interface SignRequest {
  /** `sha256:<64 lower-case hex>`. */
  artifact: string
  artifact_type: string
  subject: string
  predicates?: Predicate[] | undefined
  /** A retry with the same key returns the first result instead of signing twice. */
  idempotency_key?: string | undefined
}

/** The stored result of a signature. */
export interface SignResponse {
  /** Transparency entry ID, or the record ID when transparency is off. */
  entry_id: string
  /** Base64 message or DSSE signature. */
  signature: string
  certificate?: string | undefined
  public_key?: string | undefined
  transparency_entry?: { uuid: string; index: number; timestamp: string } | undefined
  /** Sigstore bundle v0.3 JSON. */
  bundle: Record<string, unknown>
}

/** Identity or key requirements of a verification. */
export interface VerifyPolicy {
  certificate_identity?: string | undefined
  certificate_identity_regexp?: string | undefined
  certificate_oidc_issuer?: string | undefined
  public_key?: string | undefined
}

/** Verify a Sigstore bundle (v0.1–v0.3) over an artifact digest. */
export interface VerifyBundleRequest {
  artifact: string
  bundle: Record<string, unknown>
  policy?: VerifyPolicy | undefined
}

/** Verify a bare signature over an artifact digest, with a key or certificate. */
export interface VerifySignatureRequest {
  artifact: string
  /** The signature, base64 or hex (see `signature_encoding`). */
  signature: string
  /** How `signature` is written. @default 'auto': every reading the text allows is tried (see signatureReadings) */
  signature_encoding?: SignatureEncoding | undefined
  certificate?: string | undefined
  public_key?: string | undefined
  policy?: VerifyPolicy | undefined
}

/** A bundle or a bare signature to verify. */
export type VerifyRequest = VerifyBundleRequest | VerifySignatureRequest

/** The outcome of a verification; `valid: false` comes with `failure`. */
export interface VerifyResponse {
  valid: boolean
  verified_at: string
  /** Certificate identity or key fingerprint (`sha256:…`). */
  signer: string | null
  issuer?: string | undefined
  transparency_index: number | null
  /** PEM certificates the verifier validated, leaf first up to the trusted root. */
  certificate_chain?: string[] | undefined
  failure?: { code: string; message: string } | undefined
}

/** An inclusion proof, checkable offline. */
export interface TransparencyProof {
  log_index: number
  tree_size: number
  root_hash: string
  hashes: string[]
  checkpoint: string
}

/** One transparency entry as the API shows it. */
export interface TransparencyEntry {
  entry_id: string
  uuid: string
  artifact: string | null
  timestamp: string
  signer: string | null
  signature: string | null
  log_index: number
  kind: string
  /** Base64 canonical entry body (the Merkle leaf). */
  body: string
  signed_entry_timestamp?: string | undefined
  proof?: TransparencyProof | undefined
}

/** One page of entries for an artifact. */
export interface TransparencyList {
  entries: TransparencyEntry[]
  next_cursor?: string | undefined
}

/** Who asked and under which request id; passed to every operation for audit records and cancellation. */
export interface OperationContext {
  requestId: string
  /** Caller id (`key:<id>`, `jwt:<sub>`, `anonymous`); never a credential. */
  caller: string
  signal?: AbortSignal | undefined
}

/** One readiness check's result. */
export interface ReadinessCheck {
  ok: boolean
  message?: string | undefined
}

/**
 * The trust operations the server (over HTTP) and embedding callers use. `createTrustService` implements it
 * by composing storage, the transparency log, the signer and the verifiers.
 */
export interface TrustService {
  /**
   * Signs a digest (or an in-toto statement about it), records the entry in the transparency log and
   * stores a SignedArtifact record. A retry with the same `idempotency_key` returns the stored result.
   * @throws ServiceError `SERVICE_IDEMPOTENCY_CONFLICT`
   */
  sign(request: SignRequest, context: OperationContext): Promise<SignResponse>
  /**
   * Verifies a bundle or a bare signature and stores a VerificationRecord. Never throws for an invalid signature.
   * @throws ServiceError `SERVICE_BAD_REQUEST` when no policy applies or a key cannot be parsed
   */
  verify(request: VerifyRequest, context: OperationContext): Promise<VerifyResponse>
  /**
   * One transparency entry by 64-hex UUID or 80-hex entry ID.
   * @throws ServiceError `SERVICE_NOT_FOUND`, `SERVICE_FEATURE_DISABLED`
   */
  getEntry(entryId: string, options: { includeProof: boolean }): Promise<TransparencyEntry>
  /** Entries for an artifact digest, oldest first. @throws ServiceError `SERVICE_FEATURE_DISABLED` */
  listEntries(
    artifact: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<TransparencyList>
  /** Readiness checks (storage reachable, log answering). */
  checkReady(): Promise<Record<string, ReadinessCheck>>
}
