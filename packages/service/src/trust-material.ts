import type { TimestampAuthority, TransparencyLog, TrustedRootJson } from '@certus-trust/tlog'
import { buildSigningConfig, type SigningConfigEndpoint, type SigningConfigJson } from './signing-config.js'

/** The embedded services whose trust material is exported. */
export interface EmbeddedServices {
  /** The embedded (Rekor v1) log. */
  log: TransparencyLog
  /** The embedded Rekor v2 log, when there is one. */
  rekorV2?: TransparencyLog | undefined
  /** The embedded timestamp authority, when there is one. */
  tsa?: TimestampAuthority | undefined
}

/** Path of the timestamp authority below the base URL (Sigstore's TSA path; the server serves it there). */
export const TIMESTAMP_PATH = '/api/v1/timestamp'

/**
 * The Sigstore TrustedRoot naming every embedded service: each shard of the Rekor v1 log and of the Rekor v2 log
 * (each with its validity), and the timestamp authority's chain (`timestampAuthorities`, leaf then CA) at
 * `<log base URL>/api/v1/timestamp`. Items of `base` (e.g. a Fulcio CA) are kept; ours replace stale copies.
 */
export async function exportEmbeddedTrustedRoot(
  services: EmbeddedServices,
  base?: TrustedRootJson,
): Promise<TrustedRootJson> {
  let root = await services.log.exportTrustedRoot(base ? { base } : {})
  if (services.rekorV2) root = await services.rekorV2.exportTrustedRoot({ base: root })
  if (services.tsa) {
    const entry = services.tsa.trustedRootEntry(`${services.log.baseUrl}${TIMESTAMP_PATH}`)
    const leaf = entry.certChain.certificates[0]?.rawBytes
    const others = (
      root.timestampAuthorities as Array<{ certChain?: { certificates?: { rawBytes?: string }[] } }>
    ).filter((authority) => authority?.certChain?.certificates?.[0]?.rawBytes !== leaf)
    root = { ...root, timestampAuthorities: [...others, entry] }
  }
  return root
}

/** Options of {@link embeddedSigningConfig}. */
export interface EmbeddedSigningConfigOptions {
  /** Where clients reach the server. @default the log's base URL */
  url?: string | undefined
  /** A Fulcio-compatible CA to list under `caUrls` (keyless signing). */
  fulcioUrl?: string | undefined
  /** @default 'certus-trust' */
  operator?: string | undefined
}

/**
 * The SigningConfig v0.2 pointing Sigstore clients at the embedded services on one server: the Rekor v1 log
 * (`majorApiVersion` 1) and the Rekor v2 log (2) at the server's base URL, the timestamp authority at
 * `<url>/api/v1/timestamp`, each valid from when it was created; `caUrls` only when a Fulcio URL is given and
 * `oidcUrls` empty (the server runs no OIDC provider).
 */
export async function embeddedSigningConfig(
  services: EmbeddedServices,
  options: EmbeddedSigningConfigOptions = {},
): Promise<SigningConfigJson> {
  const url = (options.url ?? services.log.baseUrl).replace(/\/+$/, '')
  const firstCreated = async (log: TransparencyLog) => {
    const shards = await log.listShards()
    return new Date(Math.min(...shards.map((shard) => shard.createdAt.getTime())))
  }
  // v2 first: @sigstore/sign takes the newest start date and keeps list order on ties, sigstore-go the highest
  // version; either way a v2-capable client writes to the v2 log.
  const rekor: SigningConfigEndpoint[] = []
  if (services.rekorV2)
    rekor.push({ url, majorApiVersion: 2, validFrom: await firstCreated(services.rekorV2) })
  rekor.push({ url, majorApiVersion: 1, validFrom: await firstCreated(services.log) })
  const tsaCertificate = services.tsa?.certificates[0]
  return buildSigningConfig({
    operator: options.operator ?? 'certus-trust',
    rekor,
    tsa: tsaCertificate
      ? [
          {
            url: `${url}${TIMESTAMP_PATH}`,
            majorApiVersion: 1,
            validFrom: new Date(tsaCertificate.validFrom),
            validUntil: new Date(tsaCertificate.validTo),
          },
        ]
      : [],
    ca: options.fulcioUrl ? [{ url: options.fulcioUrl, majorApiVersion: 1, validFrom: new Date(0) }] : [],
  })
}
