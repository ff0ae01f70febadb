import { readFile } from 'node:fs/promises'
import { fail, VerifierError } from './errors.js'
import { PUBLIC_GOOD_TRUSTED_ROOT_JSON } from './public-good-root.js'
import { parseTrustedRoot, type TrustMaterial } from './trust-root.js'

/** TUF mirror of the public-good production instance. */
export const PUBLIC_GOOD_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev'
/** TUF mirror of the public-good staging instance. */
export const STAGING_TUF_MIRROR = 'https://tuf-repo-cdn.sigstage.dev'

let publicGood: TrustMaterial | undefined

/**
 * The public-good production trust material, from the root embedded in this package (taken from
 * `@sigstore/tuf`'s shipped, TUF-signed seed). No network, no files; parsed once per process.
 */
export function publicGoodTrustMaterial(): TrustMaterial {
  publicGood ??= parseTrustedRoot(PUBLIC_GOOD_TRUSTED_ROOT_JSON)
  return publicGood
}

/**
 * Reads and parses a trusted_root.json file (private Fulcio/Rekor/CT/TSA, or an embedded log's export).
 * @throws VerifierError `VERIFIER_TRUST_ROOT_UNAVAILABLE` (unreadable) or `VERIFIER_MALFORMED_TRUSTED_ROOT`.
 */
export async function loadTrustedRootFile(path: string): Promise<TrustMaterial> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    return fail('VERIFIER_TRUST_ROOT_UNAVAILABLE', 'trusted root file could not be read', error, { path })
  }
  return parseTrustedRoot(text)
}

/** Options for {@link fetchTrustedRoot}. */
export interface FetchTrustedRootOptions {
  /**
   * Use the staging instance's TUF repository.
   * @default false
   */
  staging?: boolean
  /**
   * TUF mirror URL.
   * @default PUBLIC_GOOD_TUF_MIRROR (or STAGING_TUF_MIRROR with `staging`)
   */
  mirrorURL?: string
  /** Directory where TUF metadata and targets are cached between runs. @default @sigstore/tuf's app-data dir */
  cachePath?: string
  /**
   * Path of the initial TUF root.json. Required for mirrors whose root @sigstore/tuf does not ship
   * (staging, private) unless `cachePath` already holds metadata.
   */
  rootPath?: string
  /**
   * Use cached metadata without contacting the mirror when it has not expired.
   * @default false
   */
  forceCache?: boolean
  /** @default 3 */
  retry?: number
  /** Milliseconds per request. @default 5000 */
  timeout?: number
}

/**
 * Refreshes a trusted root through TUF (online) and parses it. @sigstore/tuf is loaded only here.
 * @throws VerifierError `VERIFIER_TRUST_ROOT_UNAVAILABLE` when the refresh fails (e.g. offline).
 */
export async function fetchTrustedRoot(options: FetchTrustedRootOptions = {}): Promise<TrustMaterial> {
  const mirrorURL = options.mirrorURL ?? (options.staging ? STAGING_TUF_MIRROR : PUBLIC_GOOD_TUF_MIRROR)
  let json: unknown
  try {
    const { getTrustedRoot } = await import('@sigstore/tuf')
    json = await getTrustedRoot({
      mirrorURL,
      cachePath: options.cachePath,
      rootPath: options.rootPath,
      forceCache: options.forceCache ?? false,
      retry: options.retry ?? 3,
      timeout: options.timeout ?? 5000,
    })
  } catch (error) {
    if (VerifierError.is(error)) throw error
    return fail('VERIFIER_TRUST_ROOT_UNAVAILABLE', `TUF refresh from ${mirrorURL} failed`, error, {
      mirrorURL,
    })
  }
  return parseTrustedRoot(json)
}
