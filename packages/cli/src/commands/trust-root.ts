import { openEmbeddedLog } from '../data-dir.js'
import { resolvePath, writeOutputFile } from '../files.js'
import type { Output } from '../output.js'

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
