import { openEmbeddedLog } from '../data-dir.js'
import { CliError } from '../errors.js'
import { resolvePath, writeOutputFile } from '../files.js'
import type { Output } from '../output.js'
import { logBaseUrl } from './trust-root.js'

export interface SigningConfigExportOptions {
  out: string
  dataDir?: string
  url?: string
  fulcioUrl?: string
  json?: boolean
}

/** The server's default port, when neither `--url` nor the server's variables say where it listens. */
const DEFAULT_SERVER_PORT = '8080'

function checkedUrl(value: string, flag: string): string {
  try {
    const url = new URL(value)
    if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '')
  } catch {
    // Reported below.
  }
  throw new CliError({ code: 'CLI_USAGE', message: `${flag} ${JSON.stringify(value)} is not an http(s) URL` })
}

/**
 * `certus signing-config export --out FILE [--url URL] [--fulcio-url URL] [--data-dir DIR]`: writes a Sigstore
 * SigningConfig v0.2 pointing clients at `certus serve`: the Rekor v2 and v1 logs at `URL`, the timestamp
 * authority at `URL/api/v1/timestamp`, and a Fulcio CA when one is given. `URL` defaults to
 * `$CERTUS_TRUST_LOG_BASE_URL`, else `http://127.0.0.1:$CERTUS_TRUST_PORT` (8080).
 */
export async function runSigningConfigExport(
  options: SigningConfigExportOptions,
  out: Output,
): Promise<number> {
  const env = out.io.env
  const url = checkedUrl(
    options.url ??
      logBaseUrl(undefined, env) ??
      `http://127.0.0.1:${env.CERTUS_TRUST_PORT ?? DEFAULT_SERVER_PORT}`,
    '--url',
  )
  const fulcioUrl = options.fulcioUrl ?? env.CERTUS_TRUST_FULCIO_ADDR
  const embedded = await openEmbeddedLog(out.io, options.dataDir, true, {
    baseUrl: logBaseUrl(undefined, env),
  })
  let config: Awaited<ReturnType<typeof import('@certus-trust/service').embeddedSigningConfig>>
  try {
    const { embeddedSigningConfig } = await import('@certus-trust/service')
    config = await embeddedSigningConfig(embedded, {
      url,
      ...(fulcioUrl ? { fulcioUrl: checkedUrl(fulcioUrl, '--fulcio-url') } : {}),
    })
  } finally {
    await embedded.close()
  }
  const text = `${JSON.stringify(config, null, 2)}\n`
  if (options.out === '-') {
    out.io.stdout.write(text)
    return 0
  }
  const path = resolvePath(out.io.cwd, options.out)
  await writeOutputFile(path, text, { what: 'signing config' })
  const services = [...config.rekorTlogUrls, ...config.tsaUrls, ...config.caUrls]
  out.result(
    [
      `wrote signing config ${path}`,
      ...config.rekorTlogUrls.map((service) => `  Rekor v${service.majorApiVersion} ${service.url}`),
      ...config.tsaUrls.map((service) => `  timestamp authority ${service.url}`),
      ...config.caUrls.map((service) => `  certificate authority ${service.url}`),
    ],
    {
      ok: true,
      path,
      services: services.map((service) => ({ url: service.url, majorApiVersion: service.majorApiVersion })),
    },
  )
  return 0
}
