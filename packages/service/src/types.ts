import type { z } from 'zod'
import type {
  PredicateSchema,
  ProofSchema,
  SignRequestSchema,
  SignResponseSchema,
  TransparencyEntrySchema,
  TransparencyListSchema,
  VerifyBundleRequestSchema,
  VerifyPolicySchema,
  VerifyResponseSchema,
  VerifySignatureRequestSchema,
} from './schemas.js'
/*
 * The service's operations speak the HTTP API's JSON shapes (snake_case), so the server only validates and
 * forwards. The shapes are inferred from the zod schemas in schemas.ts, the runtime check at the edge.
 */

/** One in-toto predicate to attest instead of a plain message signature. */
export type Predicate = z.output<typeof PredicateSchema>

/**
 * What to sign: a digest (`sha256:<64 lower-case hex>`), or (with `predicates`) an in-toto statement about it. How
 * the answer is written (`signature_encoding`) is the server's business, not part of the request signed.
 */
export type SignRequest = Omit<z.output<typeof SignRequestSchema>, 'signature_encoding'>

/** A signature, its bundle and where it was logged. */
export type SignResponse = z.output<typeof SignResponseSchema>

/** Identity or key requirements of a verification. */
export type VerifyPolicy = z.output<typeof VerifyPolicySchema>

/** Verify a Sigstore bundle against an artifact digest. */
export type VerifyBundleRequest = z.output<typeof VerifyBundleRequestSchema>

/** Verify a bare signature over an artifact digest, with a key or certificate (`signature_encoding` @default 'auto'). */
export type VerifySignatureRequest = z.output<typeof VerifySignatureRequestSchema>

/** A bundle or a bare signature to verify. */
export type VerifyRequest = VerifyBundleRequest | VerifySignatureRequest

/** The outcome of a verification; `valid: false` comes with `failure`. */
export type VerifyResponse = z.output<typeof VerifyResponseSchema>

/** An inclusion proof, checkable offline with `@certus-trust/rekor`'s `verifyInclusionProof`. */
export type TransparencyProof = z.output<typeof ProofSchema>

/** One transparency-log entry as the API returns it. */
export type TransparencyEntry = z.output<typeof TransparencyEntrySchema>

/** One page of entries for an artifact. */
export type TransparencyList = z.output<typeof TransparencyListSchema>

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
