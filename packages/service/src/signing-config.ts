import { SIGNING_CONFIG_MEDIA_TYPE } from '@certus-trust/signer/signing-config'

/** One service of a SigningConfig (`Service` in protobuf-specs, JSON form). */
export interface SigningConfigService {
  url: string
  majorApiVersion: number
  validFor: { start: string; end?: string }
  operator: string
}

/** A SigningConfig v0.2 document (JSON form). */
export interface SigningConfigJson {
  mediaType: typeof SIGNING_CONFIG_MEDIA_TYPE
  caUrls: SigningConfigService[]
  oidcUrls: SigningConfigService[]
  rekorTlogUrls: SigningConfigService[]
  tsaUrls: SigningConfigService[]
  rekorTlogConfig: { selector: 'ALL' | 'ANY' | 'EXACT'; count?: number }
  tsaConfig: { selector: 'ALL' | 'ANY' | 'EXACT'; count?: number }
}

/** A service to list: where it is and since when it is valid. */
export interface SigningConfigEndpoint {
  /** Rekor: the base URL (clients append `/api/v1/log/entries` or `/api/v2/log/entries`); others: the full URL. */
  url: string
  majorApiVersion: number
  validFrom: Date
  /** Set when the service stopped being valid. */
  validUntil?: Date | undefined
}

/** Options of {@link buildSigningConfig}. */
export interface BuildSigningConfigOptions {
  /** Transparency logs (Rekor v1 and/or v2). */
  rekor: readonly SigningConfigEndpoint[]
  /** RFC 3161 timestamp authorities. @default [] */
  tsa?: readonly SigningConfigEndpoint[]
  /** Fulcio-compatible CAs (keyless signing). @default [] */
  ca?: readonly SigningConfigEndpoint[]
  /** OIDC providers. @default [] */
  oidc?: readonly SigningConfigEndpoint[]
  /** Who runs the services (SigningConfig `operator`). */
  operator: string
}

/** RFC 3339 in whole seconds, as Sigstore's own signing configs write it. */
function isoSeconds(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

function toService(endpoint: SigningConfigEndpoint, operator: string): SigningConfigService {
  const validFor: SigningConfigService['validFor'] = { start: isoSeconds(endpoint.validFrom) }
  if (endpoint.validUntil) validFor.end = isoSeconds(endpoint.validUntil)
  // Base URLs without a trailing slash: clients append their paths.
  return {
    url: endpoint.url.replace(/\/+$/, ''),
    majorApiVersion: endpoint.majorApiVersion,
    validFor,
    operator,
  }
}

/**
 * Builds a SigningConfig v0.2 pointing Sigstore clients at the given services. Both selectors are `ANY`: a client
 * picks one log (the highest API version it speaks among the valid ones) and one TSA.
 *
 * @example
 * buildSigningConfig({
 *   operator: 'certus-trust',
 *   rekor: [{ url: 'http://127.0.0.1:3000', majorApiVersion: 2, validFrom: new Date() }],
 *   tsa: [{ url: 'http://127.0.0.1:3000/api/v1/timestamp', majorApiVersion: 1, validFrom: new Date() }],
 * })
 */
export function buildSigningConfig(options: BuildSigningConfigOptions): SigningConfigJson {
  const list = (endpoints: readonly SigningConfigEndpoint[] | undefined) =>
    (endpoints ?? []).map((endpoint) => toService(endpoint, options.operator))
  return {
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    caUrls: list(options.ca),
    oidcUrls: list(options.oidc),
    rekorTlogUrls: list(options.rekor),
    tsaUrls: list(options.tsa),
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
  }
}
