import { createHash, X509Certificate } from 'node:crypto'
import type { TrustMaterial } from '@certus-trust/verifier'

function toPem(der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64')
  return `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`
}

/** The signing certificate's DER from a bundle's verification material (v0.3 `certificate` or v0.1/0.2 chain). */
function leafDerOf(bundle: Record<string, unknown>): Buffer | undefined {
  const material = bundle.verificationMaterial as
    | {
        certificate?: { rawBytes?: unknown }
        x509CertificateChain?: { certificates?: Array<{ rawBytes?: unknown }> }
      }
    | undefined
  const raw = material?.certificate?.rawBytes ?? material?.x509CertificateChain?.certificates?.[0]?.rawBytes
  return typeof raw === 'string' ? Buffer.from(raw, 'base64') : undefined
}

/**
 * The PEM chain a successful verification validated, leaf first: the bundle's signing certificate, then the
 * trusted authority's certificates from the one that issued it up to the root. The verifier reports the
 * authority (URI) and the leaf fingerprint but not the path, so the path is found again here among that
 * authority's certificates — only the issuer check is repeated, on a chain the verifier already accepted.
 * Returns undefined when the bundle's leaf does not match the verified fingerprint or no issuer is found.
 */
export function verifiedCertificateChain(
  bundle: Record<string, unknown>,
  verified: { certificateFingerprint: string; certificateAuthority: string },
  trustMaterial: TrustMaterial,
): string[] | undefined {
  const leafDer = leafDerOf(bundle)
  if (!leafDer) return undefined
  if (createHash('sha256').update(leafDer).digest('hex') !== verified.certificateFingerprint) return undefined
  let leaf: X509Certificate
  try {
    leaf = new X509Certificate(leafDer)
  } catch {
    return undefined
  }
  for (const authority of trustMaterial.certificateAuthorities) {
    if (authority.uri !== verified.certificateAuthority) continue
    for (let index = 0; index < authority.chain.length; index++) {
      const candidate = new X509Certificate(authority.chain[index]!.der)
      if (leaf.checkIssued(candidate) && leaf.verify(candidate.publicKey)) {
        return [toPem(leafDer), ...authority.chain.slice(index).map((certificate) => toPem(certificate.der))]
      }
    }
  }
  return undefined
}
