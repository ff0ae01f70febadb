import type { X509Certificate } from 'node:crypto'
import { fail } from '../errors.js'
import { DEFAULT_TSA_POLICY_OID } from './oids.js'
import { parseTimestampRequest, type TimestampRequest } from './timestamp-request.js'
import { encodeTimestampResponse } from './timestamp-response.js'
import {
  checkTsaMaterial,
  type GenerateTsaMaterialOptions,
  generateTsaMaterial,
  loadOrCreateTsaMaterial,
  type TsaMaterial,
  tsaChainPem,
} from './tsa-material.js'

/** Where the TSA's keys and certificates come from: given, or a file (loaded, or generated and saved). */
export type TsaMaterialSource = TsaMaterial | { path: string }

/** Options of {@link createTimestampAuthority}. */
export interface TimestampAuthorityOptions {
  /** Keys and certificates. Without it a fresh CA and TSA certificate are generated in memory. */
  material?: TsaMaterialSource
  /** How generated material is named and how long it lives. */
  generate?: GenerateTsaMaterialOptions
  /** TSA policy OID written into every token. @default DEFAULT_TSA_POLICY_OID */
  policy?: string
  /** @internal Clock for tests. */
  now?: () => Date
}

/** One `timestampAuthorities[]` item of a Sigstore TrustedRoot (JSON form). */
export interface CertificateAuthorityJson {
  subject: { organization: string; commonName: string }
  uri: string
  certChain: { certificates: { rawBytes: string }[] }
  validFor: { start: string; end?: string }
}

/**
 * An RFC 3161 timestamp authority: signs TimeStampResp tokens with a certificate carrying the critical
 * id-kp-timeStamping EKU, under a CA the deployment keeps.
 */
export interface TimestampAuthority {
  /** The policy OID written into tokens. */
  readonly policy: string
  /** The TSA signing certificate, then its CA. */
  readonly certificates: readonly X509Certificate[]
  /**
   * Timestamps a digest; returns a DER TimeStampResp (status granted + token), the bytes Sigstore bundles carry.
   * @throws TlogError `TLOG_TIMESTAMP_UNSUPPORTED` when a policy other than ours is requested.
   */
  timestamp(request: TimestampRequest): Uint8Array
  /** Parses a DER TimeStampReq and answers it. @throws TlogError `TLOG_TIMESTAMP_REQUEST_INVALID` and the above. */
  respond(der: Uint8Array): Uint8Array
  /** PEM chain, leaf first (what `GET /api/v1/timestamp/certchain` serves). */
  certificateChainPem(): string
  /** The TrustedRoot `timestampAuthorities[]` item naming this TSA at `uri`. */
  trustedRootEntry(uri: string): CertificateAuthorityJson
}

function organizationAndName(certificate: X509Certificate): { organization: string; commonName: string } {
  const fields = new Map(
    certificate.subject.split('\n').map((line) => {
      const at = line.indexOf('=')
      return [line.slice(0, at), line.slice(at + 1)] as const
    }),
  )
  return { organization: fields.get('O') ?? '', commonName: fields.get('CN') ?? '' }
}

function isoSeconds(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

async function resolveMaterial(options: TimestampAuthorityOptions): Promise<TsaMaterial> {
  const source = options.material
  if (source === undefined) return generateTsaMaterial(options.generate)
  if ('path' in source) return loadOrCreateTsaMaterial(source.path, options.generate)
  checkTsaMaterial(source)
  return source
}

/**
 * Creates a timestamp authority.
 * @throws TlogError `TLOG_TSA_KEY_INVALID` when the material is unreadable or inconsistent.
 * @example
 * const tsa = await createTimestampAuthority({ material: { path: 'data/tsa.json' } })
 * const response = tsa.timestamp({ hashAlgorithm: 'sha256', hashedMessage: sha256(signature) })
 */
export async function createTimestampAuthority(
  options: TimestampAuthorityOptions = {},
): Promise<TimestampAuthority> {
  const material = await resolveMaterial(options)
  const policy = options.policy ?? DEFAULT_TSA_POLICY_OID
  const now = options.now ?? (() => new Date())
  const certificates = [material.tsaCertificate, material.caCertificate] as const

  const timestamp = (request: TimestampRequest): Uint8Array => {
    if (request.policy !== undefined && request.policy !== policy)
      fail('TLOG_TIMESTAMP_UNSUPPORTED', `unsupported TSA policy ${request.policy}`, { policy })
    // Whole seconds: the token states an accuracy of one second.
    const genTime = new Date(Math.floor(now().getTime() / 1000) * 1000)
    const notAfter = new Date(material.tsaCertificate.validTo)
    if (genTime.getTime() > notAfter.getTime())
      fail('TLOG_TSA_KEY_INVALID', 'the TSA certificate has expired; rotate the TSA material')
    return encodeTimestampResponse(request, { material, policy, genTime })
  }

  return {
    policy,
    certificates,
    timestamp,
    respond: (der) => timestamp(parseTimestampRequest(der)),
    certificateChainPem: () => tsaChainPem(material),
    trustedRootEntry: (uri) => ({
      subject: organizationAndName(material.tsaCertificate),
      uri,
      certChain: {
        certificates: certificates.map((certificate) => ({ rawBytes: certificate.raw.toString('base64') })),
      },
      validFor: { start: isoSeconds(new Date(material.tsaCertificate.validFrom)) },
    }),
  }
}
