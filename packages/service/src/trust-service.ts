import type { Logger } from '@certus-trust/core'
import type { Signer } from '@certus-trust/signer'
import type { Storage } from '@certus-trust/storage'
import { verifyBareSignature } from './bare-signature.js'
import { getTransparencyEntry, listTransparencyEntries } from './entries.js'
import { type LogCallObserver, type LogReader, unobserved } from './log-backend.js'
import { checkReadiness } from './readiness.js'
import { verificationRecord } from './record-model.js'
import { createSignAndRecord } from './sign-and-record.js'
import type { TrustService, VerifyRequest, VerifyResponse } from './types.js'
import { bundleHasCertificate, toVerificationPolicy, verifyBundle } from './verification.js'
import type { VerifierSet } from './verifiers.js'

/** What {@link createTrustService} composes. */
export interface TrustServiceOptions {
  storage: Storage
  signer: Signer
  verifiers: VerifierSet
  /** The transparency log to read from; undefined when transparency is off. */
  log?: LogReader | undefined
  /** PEM public key of the service's signing key (default policy for key-signed bundles); undefined when keyless. */
  signingPublicKeyPem?: string | undefined
  /** Wraps every log read, e.g. for latency metrics. @default calls through */
  observeLogCall?: LogCallObserver | undefined
  /** Reserved for operation logs. @default no-op */
  logger?: Logger | undefined
  /** Largest number of log entries examined when matching a bare signature. @default 50 */
  maxSearchEntries?: number
}

/**
 * The trust operations over the libraries: signer + log (sign), verifiers (verify), log + storage (look up).
 * Each operation is a named step in its own module; this function only wires them.
 *
 * @example
 * const service = createTrustService({ storage, signer, verifiers, log: backend.reader })
 * const signed = await service.sign({ artifact, artifact_type: 'sbom', subject: 'app.spdx.json' }, context)
 */
export function createTrustService(options: TrustServiceOptions): TrustService {
  const { storage, verifiers, log } = options
  const observe = options.observeLogCall ?? unobserved
  const signAndRecord = createSignAndRecord(storage, options.signer)
  const bareSignature = {
    verifiers,
    log,
    observe,
    signingPublicKeyPem: options.signingPublicKeyPem,
    maxSearchEntries: options.maxSearchEntries ?? 50,
  }

  async function verify(request: VerifyRequest): Promise<VerifyResponse> {
    if (!('bundle' in request)) return verifyBareSignature(bareSignature, request)
    const policy = toVerificationPolicy(
      request.policy,
      options.signingPublicKeyPem,
      bundleHasCertificate(request.bundle),
    )
    return verifyBundle(verifiers, request.bundle, request.artifact, policy)
  }

  return {
    sign: (request) => signAndRecord(request),
    async verify(request) {
      const response = await verify(request)
      await storage.saveVerificationRecord(verificationRecord(request, response))
      return response
    },
    getEntry: (entryId, { includeProof }) =>
      getTransparencyEntry(storage, log, observe, entryId, includeProof),
    listEntries: (artifact, page) => listTransparencyEntries(storage, log, artifact, page),
    checkReady: () => checkReadiness(storage, log),
  }
}
