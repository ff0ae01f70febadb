import type { RekorClient } from '@certus-trust/rekor'
import { CliError } from './errors.js'

/** A Rekor v1 client for `--rekor-url`; a malformed URL is a usage error. */
export async function openRemoteRekor(url: string): Promise<RekorClient> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (error) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: `--rekor-url ${JSON.stringify(url)} is not a URL`,
      cause: error,
    })
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new CliError({ code: 'CLI_USAGE', message: '--rekor-url must be an http(s) URL' })
  }
  const { createRekorClient } = await import('@certus-trust/rekor')
  return createRekorClient({ baseUrl: parsed.toString().replace(/\/+$/, '') })
}
