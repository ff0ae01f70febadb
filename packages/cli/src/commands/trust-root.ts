import { openEmbeddedLog } from '../data-dir.js'
import { resolvePath, writeOutputFile } from '../files.js'
import type { Output } from '../output.js'

export interface TrustRootExportOptions {
  out: string
  dataDir?: string
  json?: boolean
}

/**
 * `certus trust-root export --out FILE [--data-dir DIR]`: writes the Sigstore TrustedRoot JSON that names
 * the data directory's embedded log (creating the log and its key when the directory is new), so
 * bundles from `certus sign` verify with `verify-bundle --trusted-root` and upstream verifiers.
 */
export async function runTrustRootExport(options: TrustRootExportOptions, out: Output): Promise<number> {
  const embedded = await openEmbeddedLog(out.io, options.dataDir, true)
  let trustedRoot: unknown
  try {
    trustedRoot = await embedded.log.exportTrustedRoot()
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
  const tlogs =
    (trustedRoot as { tlogs?: Array<{ baseUrl?: string; logId?: { keyId?: string } }> }).tlogs ?? []
  out.result(
    [
      `wrote trusted root ${path}`,
      ...tlogs.map((tlog) => `  transparency log ${tlog.baseUrl ?? ''} (log id ${tlog.logId?.keyId ?? '?'})`),
    ],
    { ok: true, path, tlogs: tlogs.map((tlog) => ({ baseUrl: tlog.baseUrl, logId: tlog.logId?.keyId })) },
  )
  return 0
}
