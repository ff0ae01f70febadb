import { openEmbeddedLog } from '../data-dir.js'
import { resolvePath, writeOutputFile } from '../files.js'
import type { Output } from '../output.js'
import { loadPublicGood } from '../verify/tuf.js'

export interface TrustRootExportOptions {
  out: string
  dataDir?: string
  baseUrl?: string
  json?: boolean
}

/** The base URL the server names its logs by: `--base-url`, else the server's `CERTUS_TRUST_LOG_BASE_URL`. */
export function logBaseUrl(
  option: string | undefined,
  env: Record<string, string | undefined>,
): string | undefined {
  const value = option ?? env.CERTUS_TRUST_LOG_BASE_URL
  return value?.replace(/\/+$/, '') || undefined
}

/**
 * `certus trust-root export --out FILE [--data-dir DIR] [--base-url URL]`: writes the Sigstore TrustedRoot JSON
 * naming the data directory's embedded services — every shard of the Rekor v1 log and of the Rekor v2 log (with
 * validity) and the timestamp authority's chain — creating them when the directory is new, so bundles from
 * `certus sign` and `certus serve` verify with `verify-bundle --trusted-root` and upstream verifiers.
 */
export async function runTrustRootExport(options: TrustRootExportOptions, out: Output): Promise<number> {
  const baseUrl = logBaseUrl(options.baseUrl, out.io.env)
  const embedded = await openEmbeddedLog(out.io, options.dataDir, true, { baseUrl })
  let trustedRoot: Awaited<ReturnType<typeof import('@certus-trust/service').exportEmbeddedTrustedRoot>>
  try {
    const { exportEmbeddedTrustedRoot } = await import('@certus-trust/service')
    trustedRoot = await exportEmbeddedTrustedRoot(embedded)
  } finally {
    await embedded.close()
  }
  const text = `${JSON.stringify(trustedRoot, null, 2)}\n`
  if (options.out === '-') {
    out.io.stdout.write(text)
    return 0
  }
  const path = resolvePath(out.io.cwd, options.out)
  await writeOutputFile(path, text, { what: 'trusted root' })
  const tlogs = trustedRoot.tlogs
  const authorities = trustedRoot.timestampAuthorities as Array<{ uri?: string }>
  out.result(
    [
      `wrote trusted root ${path}`,
      ...tlogs.map(
        (tlog) =>
          `  transparency log ${tlog.baseUrl} (${tlog.checkpointKeyId ? 'Rekor v2' : 'Rekor v1'}, log id ${tlog.logId.keyId})`,
      ),
      ...authorities.map((authority) => `  timestamp authority ${authority.uri ?? ''}`),
    ],
    {
      ok: true,
      path,
      tlogs: tlogs.map((tlog) => ({
        baseUrl: tlog.baseUrl,
        logId: tlog.logId.keyId,
        rekorVersion: tlog.checkpointKeyId ? 2 : 1,
      })),
      timestampAuthorities: authorities.map((authority) => ({ uri: authority.uri })),
    },
  )
  return 0
}

export interface TrustRootRefreshOptions {
  /** `--tuf MIRROR`. */
  tuf?: string
  tufRoot?: string
  json?: boolean
}

type RootList = Array<Record<string, unknown>> | undefined

/**
 * `certus trust-root refresh [--tuf MIRROR] [--tuf-root FILE]`: refreshes `trusted_root.json` through TUF into the
 * cache `verify --tuf` reads, and lists its logs and authorities. No fallback: a mirror that cannot be reached
 * fails with `SERVICE_TRUST_ROOT_UNAVAILABLE` (exit 4).
 */
export async function runTrustRootRefresh(options: TrustRootRefreshOptions, out: Output): Promise<number> {
  const loaded = await loadPublicGood(
    out.io,
    { tuf: options.tuf ?? true, tufRoot: options.tufRoot },
    { fallback: false },
  )
  const root = loaded.trustedRoot as Record<string, RootList>
  const tlogs = (root.tlogs ?? []).map(describeLog)
  const ctlogs = (root.ctlogs ?? []).map(describeLog)
  const authorities = (list: RootList) =>
    (list ?? []).map((authority) => ({
      uri: authority.uri as string | undefined,
      validFrom: (authority.validFor as { start?: string } | undefined)?.start,
    }))
  const certificateAuthorities = authorities(root.certificateAuthorities)
  const timestampAuthorities = authorities(root.timestampAuthorities)
  out.result(
    [
      `refreshed the trusted root from ${loaded.mirror} (cached in ${loaded.cacheDir})`,
      ...tlogs.map((log) => `  transparency log ${log.baseUrl} (log id ${log.logId}, from ${log.validFrom})`),
      ...ctlogs.map((log) => `  CT log ${log.baseUrl} (log id ${log.logId}, from ${log.validFrom})`),
      ...certificateAuthorities.map((ca) => `  certificate authority ${ca.uri} (from ${ca.validFrom})`),
      ...timestampAuthorities.map((tsa) => `  timestamp authority ${tsa.uri} (from ${tsa.validFrom})`),
    ],
    {
      ok: true,
      mirror: loaded.mirror,
      cacheDir: loaded.cacheDir,
      mediaType: loaded.trustedRoot.mediaType,
      tlogs,
      ctlogs,
      certificateAuthorities,
      timestampAuthorities,
    },
  )
  return 0
}

function describeLog(log: Record<string, unknown>) {
  const publicKey = log.publicKey as { validFor?: { start?: string; end?: string } } | undefined
  return {
    baseUrl: log.baseUrl as string | undefined,
    logId: (log.logId as { keyId?: string } | undefined)?.keyId,
    validFrom: publicKey?.validFor?.start,
    ...(publicKey?.validFor?.end ? { validUntil: publicKey.validFor.end } : {}),
  }
}
