import { toPem } from '@certus-trust/core'
import type { VerificationPolicy, VerificationResult, Verifier } from '@certus-trust/verifier'
import { VerifierError } from '@certus-trust/verifier'
import { ServiceError } from './errors.js'
import type { VerifyPolicy, VerifyResponse } from './types.js'
import type { VerifierSet } from './verifiers.js'

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

/** A `valid: false` response with its reason. */
export function invalidResponse(code: string, message: string): VerifyResponse {
  return {
    valid: false,
    verified_at: new Date().toISOString(),
    signer: null,
    transparency_index: null,
    failure: { code, message },
  }
}

/**
 * The verifier policy of a request: an explicit key, else the identity fields, else (for key-signed bundles)
 * the service's own signing key.
 * @throws ServiceError `SERVICE_BAD_REQUEST` when none applies.
 */
export function toVerificationPolicy(
  policy: VerifyPolicy | undefined,
  fallbackKeyPem: string | undefined,
  hasCertificate: boolean,
): VerificationPolicy {
  if (policy?.public_key) return { publicKey: policy.public_key }
  if (
    policy?.certificate_identity ||
    policy?.certificate_identity_regexp ||
    policy?.certificate_oidc_issuer
  ) {
    return {
      ...(policy.certificate_identity ? { identity: policy.certificate_identity } : {}),
      ...(policy.certificate_identity_regexp ? { identityRegex: policy.certificate_identity_regexp } : {}),
      ...(policy.certificate_oidc_issuer ? { issuer: policy.certificate_oidc_issuer } : {}),
    }
  }
  if (!hasCertificate && fallbackKeyPem) return { publicKey: fallbackKeyPem }
  throw new ServiceError({
    code: 'SERVICE_BAD_REQUEST',
    message: hasCertificate
      ? 'a certificate-signed bundle needs policy.certificate_identity (or _regexp) and policy.certificate_oidc_issuer'
      : 'give policy.public_key: this server has no signing key to default to',
  })
}

/** Whether a bundle's verification material carries a certificate (v0.3) or chain (v0.1/0.2). */
export function bundleHasCertificate(bundle: Record<string, unknown>): boolean {
  const material = bundle.verificationMaterial as Record<string, unknown> | undefined
  return Boolean(material?.certificate || material?.x509CertificateChain)
}

/** Hex log ID of a bundle's first transparency entry. */
function bundleLogId(bundle: Record<string, unknown>): string | undefined {
  const material = bundle.verificationMaterial as
    | { tlogEntries?: Array<{ logId?: { keyId?: unknown } }> }
    | undefined
  const keyId = material?.tlogEntries?.[0]?.logId?.keyId
  return typeof keyId === 'string' ? Buffer.from(keyId, 'base64').toString('hex') : undefined
}

/** The verifier whose trust scope covers the bundle's log (our own log online, anything else offline). */
function verifierFor(verifiers: VerifierSet, bundle: Record<string, unknown>): Verifier {
  const logId = bundleLogId(bundle)
  const isLocal = logId === undefined ? verifiers.entrylessIsLocal === true : verifiers.localLogIds.has(logId)
  return isLocal ? verifiers.local : verifiers.external
}

function verifiedResponse(result: VerificationResult): VerifyResponse {
  const entry = result.tlogEntries[0]
  const signer = result.signer
  if (signer.kind !== 'certificate') {
    return {
      valid: true,
      verified_at: new Date().toISOString(),
      signer: `sha256:${signer.keyId}`,
      transparency_index: entry ? Number(entry.logIndex) : null,
    }
  }
  return {
    valid: true,
    verified_at: new Date().toISOString(),
    signer: signer.identity,
    ...(signer.issuer ? { issuer: signer.issuer } : {}),
    transparency_index: entry ? Number(entry.logIndex) : null,
    certificate_chain: signer.certificateChain.map((der) => toPem('CERTIFICATE', der)),
  }
}

/**
 * Verifies a bundle with the verifier of its trust scope. A bundle that fails verification is a
 * `valid: false` response; a request the verifier cannot even evaluate (malformed bundle, bad policy) throws.
 */
export async function verifyBundle(
  verifiers: VerifierSet,
  bundle: Record<string, unknown>,
  artifact: string,
  policy: VerificationPolicy,
): Promise<VerifyResponse> {
  try {
    return verifiedResponse(await verifierFor(verifiers, bundle).verify(bundle, { digest: artifact }, policy))
  } catch (error) {
    if (VerifierError.is(error) && !REQUEST_ERRORS.has(error.code))
      return invalidResponse(error.code, error.message)
    throw error
  }
}
