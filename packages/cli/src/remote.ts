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

/** The witness options `certus sign` and `certus attest` share. */
export interface WitnessFlags {
  rekorUrl?: string
  /** A SigningConfig v0.2 file choosing the Rekor log(s) and timestamp authorities. */
  signingConfig?: string
  /** `1` or `2` (commander hands over the string). */
  rekorVersion?: string
  /** An RFC 3161 timestamp authority URL (required with `--rekor-url` and `--rekor-version 2`). */
  tsaUrl?: string
  /** A TrustedRoot JSON file naming the Rekor v2 logs' keys (checkpoints checked at signing; 409s resolved). */
  trustedRoot?: string
}

async function readTrustedRoot(cwd: string, file: string | undefined): Promise<unknown> {
  if (file === undefined) return undefined
  const { readJsonFile, resolvePath } = await import('./files.js')
  return readJsonFile(resolvePath(cwd, file), 'trusted root')
}

function parseRekorVersion(value: string | undefined): 1 | 2 | undefined {
  if (value === undefined) return undefined
  if (value === '1' || value === '2') return Number(value) as 1 | 2
  throw new CliError({ code: 'CLI_USAGE', message: '--rekor-version must be 1 or 2' })
}

function checkHttpUrl(flag: string, url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (error) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: `${flag} ${JSON.stringify(url)} is not a URL`,
      cause: error,
    })
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new CliError({ code: 'CLI_USAGE', message: `${flag} must be an http(s) URL` })
  }
  return url.replace(/\/+$/, '')
}

/**
 * The remote witnesses the flags name, or undefined for the data directory's embedded log:
 * `--signing-config FILE [--rekor-version N]` → the config's logs and TSAs; `--rekor-url URL [--rekor-version N]
 * [--tsa-url URL]` → a Rekor v1 client, or a Rekor v2 client plus the TSA.
 */
export async function openRemoteWitnesses(
  cwd: string,
  flags: WitnessFlags,
): Promise<import('@certus-trust/signer').WitnessOption | undefined> {
  const rekorVersion = parseRekorVersion(flags.rekorVersion)
  if (flags.signingConfig !== undefined) {
    if (flags.rekorUrl !== undefined || flags.tsaUrl !== undefined) {
      throw new CliError({
        code: 'CLI_USAGE',
        message:
          '--signing-config names the logs and timestamp authorities: leave out --rekor-url and --tsa-url',
      })
    }
    const { loadSigningConfig, witnessesFromSigningConfig } = await import(
      '@certus-trust/signer/signing-config'
    )
    const { resolve } = await import('node:path')
    const config = await loadSigningConfig({ path: resolve(cwd, flags.signingConfig) })
    const trustedRoot = await readTrustedRoot(cwd, flags.trustedRoot)
    return witnessesFromSigningConfig(config, {
      ...(rekorVersion ? { rekorVersion } : {}),
      ...(trustedRoot !== undefined ? { trustedRoot } : {}),
    })
  }
  const tsa = flags.tsaUrl === undefined ? [] : [checkHttpUrl('--tsa-url', flags.tsaUrl)]
  if (flags.rekorUrl === undefined) {
    if (rekorVersion === 2) {
      throw new CliError({
        code: 'CLI_USAGE',
        message:
          '--rekor-version 2 needs a Rekor v2 log: pass --signing-config FILE, or --rekor-url URL with --tsa-url URL',
      })
    }
    if (tsa.length > 0)
      throw new CliError({ code: 'CLI_USAGE', message: '--tsa-url needs --rekor-url or --signing-config' })
    return undefined
  }
  const { createTimestampAuthorityWitness } = await import('@certus-trust/signer')
  const timestamps = tsa.map((url) => createTimestampAuthorityWitness({ url }))
  if (rekorVersion === 2) {
    if (timestamps.length === 0) {
      throw new CliError({
        code: 'CLI_USAGE',
        message: '--rekor-version 2 needs --tsa-url: Rekor v2 entries carry no time',
      })
    }
    const { witnessesFromSigningConfig } = await import('@certus-trust/signer/signing-config')
    // One code path with --signing-config: a one-log, one-TSA config.
    const service = (url: string, majorApiVersion: number) => ({
      url,
      majorApiVersion,
      validFor: { start: '1970-01-01T00:00:00Z' },
    })
    const trustedRoot = await readTrustedRoot(cwd, flags.trustedRoot)
    return witnessesFromSigningConfig(
      {
        mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
        rekorTlogUrls: [service(checkHttpUrl('--rekor-url', flags.rekorUrl), 2)],
        tsaUrls: tsa.map((url) => service(url, 1)),
      },
      trustedRoot !== undefined ? { trustedRoot } : {},
    )
  }
  return [await openRemoteRekor(flags.rekorUrl), ...timestamps]
}
