import type {
  SignRequest,
  SignResponse,
  TransparencyEntry,
  TransparencyList,
  VerifyRequest,
  VerifyResponse,
} from './schemas.js'

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
 * What the HTTP layer needs from the trust machinery. `createTrustService` implements it by composing
 * storage, the transparency log, the signer and the verifier; the routes only translate HTTP to these calls.
 */
export interface TrustService {
  /**
   * Signs a digest (or an in-toto statement about it), records the entry in the transparency log and
   * stores a SignedArtifact record. A retry with the same `idempotency_key` returns the stored result.
   */
  sign(request: SignRequest, context: OperationContext): Promise<SignResponse>
  /** Verifies a bundle or a bare signature and stores a VerificationRecord. Never throws for an invalid signature. */
  verify(request: VerifyRequest, context: OperationContext): Promise<VerifyResponse>
  /** One transparency entry by 64-hex UUID or 80-hex entry ID. @throws `SERVER_NOT_FOUND` */
  getEntry(entryId: string, options: { includeProof: boolean }): Promise<TransparencyEntry>
  /** Entries for an artifact digest, oldest first. */
  listEntries(
    artifact: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<TransparencyList>
  /** Readiness checks (storage reachable, log answering). */
  checkReady(): Promise<Record<string, ReadinessCheck>>
}
