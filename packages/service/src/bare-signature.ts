import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto'
import type { LogEntry } from '@certus-trust/log-protocol'
import { parseEntryBody, toBundleTransparencyLogEntry } from '@certus-trust/log-protocol/entries'
import { ServiceError } from './errors.js'
import type { LogCallObserver, LogReader } from './log-backend.js'
import { keyFingerprint } from './record-model.js'
import { signatureReadings } from './signature-encoding.js'
import type { VerifyResponse, VerifySignatureRequest } from './types.js'
import { invalidResponse, toVerificationPolicy, verifyBundle } from './verification.js'
import type { VerifierSet } from './verifiers.js'

/** What bare-signature verification reads: the verifiers, the log (none when transparency is off), the key. */
export interface BareSignatureContext {
  verifiers: VerifierSet
  log?: LogReader | undefined
  observe: LogCallObserver
  /** The service's own public key: the default when the request names none. */
  signingPublicKeyPem?: string | undefined
  /** Largest number of log entries examined when matching a bare signature. */
  maxSearchEntries: number
}

/**
 * Verifies a bare signature over a digest: check it with the given key or certificate, find the log entry that
 * records it, rebuild the bundle that entry stands for and run the full verification (SET, checkpoint, proof,
 * body, key). With transparency off the signature check is all there is.
 * @throws ServiceError `SERVICE_BAD_REQUEST` when no key is given or it cannot be parsed.
 */
export async function verifyBareSignature(
  context: BareSignatureContext,
  request: VerifySignatureRequest,
): Promise<VerifyResponse> {
  const keyPem =
    request.public_key ?? request.certificate ?? request.policy?.public_key ?? context.signingPublicKeyPem
  if (!keyPem) {
    throw new ServiceError({
      code: 'SERVICE_BAD_REQUEST',
      message: 'give public_key or certificate with a bare signature',
    })
  }
  const digest = Buffer.from(request.artifact.slice('sha256:'.length), 'hex')
  const key = parseKey(keyPem)
  // On demand: the check loads @noble/curves, which processes that never verify a bare signature do not need.
  const { verifyDigestSignature } = await import('@certus-trust/core/signature')
  const signature = signatureReadings(request.signature, request.signature_encoding).find((reading) =>
    verifyDigestSignature(key, 'sha256', digest, reading),
  )
  if (!signature) {
    return invalidResponse(
      'VERIFIER_SIGNATURE_MISMATCH',
      'the signature does not verify over the artifact digest with the given key',
    )
  }
  if (!context.log) {
    // Transparency is off: the signature is all there is to check.
    return {
      valid: true,
      verified_at: new Date().toISOString(),
      signer: keyFingerprint(keyPem),
      transparency_index: null,
    }
  }
  const entry = await findEntryForSignature(context, context.log, request.artifact, signature)
  if (!entry) {
    return invalidResponse(
      'VERIFIER_TLOG_ENTRY_MISSING',
      'no transparency log entry records this signature for the artifact',
    )
  }
  const isCertificate = keyPem.includes('CERTIFICATE')
  const policy = isCertificate ? toVerificationPolicy(request.policy, undefined, true) : { publicKey: keyPem }
  return verifyBundle(
    context.verifiers,
    bundleForEntry(entry, keyPem, signature.toString('base64'), digest),
    request.artifact,
    policy,
  )
}

function parseKey(keyPem: string): KeyObject {
  try {
    return keyPem.includes('CERTIFICATE') ? new X509Certificate(keyPem).publicKey : createPublicKey(keyPem)
  } catch (error) {
    throw new ServiceError({
      code: 'SERVICE_BAD_REQUEST',
      message: 'the public key or certificate cannot be parsed',
      cause: error,
    })
  }
}

/** The newest hashedrekord entry of `artifact` (among the last `maxSearchEntries`) carrying `signature`. */
async function findEntryForSignature(
  context: BareSignatureContext,
  log: LogReader,
  artifact: string,
  signature: Buffer,
): Promise<LogEntry | undefined> {
  const read = <T>(operation: string, call: () => Promise<T>) =>
    context.observe({ operation, backend: log.backend }, call)
  const ids = await read('search', () => log.searchByHash(artifact))
  for (const id of ids.slice(-context.maxSearchEntries).reverse()) {
    const entry = await read('get_entry', () => log.getEntry(id))
    if (!entry) continue
    try {
      const body = parseEntryBody(entry.body)
      if (body.kind !== 'hashedrekord') continue
      if (Buffer.from(body.spec.signature.content, 'base64').equals(signature)) return entry
    } catch {
      // An entry we cannot parse is not the one we look for.
    }
  }
  return undefined
}

/** The Sigstore bundle v0.3 a logged hashedrekord entry stands for. */
function bundleForEntry(
  entry: LogEntry,
  keyPem: string,
  signature: string,
  digest: Buffer,
): Record<string, unknown> {
  return {
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
      signature,
    },
  }
}
