import type { TufConfig } from '@certus-trust/service'
import type { TrustRootEnv } from '@certus-trust/service/env'
import type { LoadedTrustedRoot } from '@certus-trust/service/trust-root'
import { CliError } from '../errors.js'
import { resolvePath } from '../files.js'
import type { CliIo } from '../io.js'

/** `--tuf [MIRROR]` and `--tuf-root FILE` of `verify` and `trust-root refresh`. */
export interface TufFlags {
  /** `--tuf` alone (true) or `--tuf MIRROR`. */
  tuf?: string | boolean | undefined
  tufRoot?: string | undefined
}

/**
 * The TUF settings (the service's {@link TufConfig}, as the server reads them), or undefined for the embedded snapshot: `--tuf MIRROR`, else `--tuf` (or `--tuf-root`) with
 * `$CERTUS_TRUST_TUF_MIRROR` or public-good's mirror, else `$CERTUS_TRUST_TUF_MIRROR` alone. The initial root is
 * `--tuf-root`, else `$CERTUS_TRUST_TUF_ROOT`; the cache `$CERTUS_TRUST_TUF_CACHE_DIR`, else the service default.
 * @throws CliError `CLI_USAGE` for a mirror that is not an http(s) URL.
 */
export async function tufSettings(io: CliIo, flags: TufFlags): Promise<TufConfig | undefined> {
  const env = await trustRootEnv(io)
  const asked = flags.tuf !== undefined && flags.tuf !== false
  let mirror = typeof flags.tuf === 'string' ? flags.tuf : env.mirror
  if (mirror === undefined && (asked || flags.tufRoot !== undefined)) {
    const { PUBLIC_GOOD_TUF_MIRROR } = await import('@certus-trust/service/trust-root')
    mirror = PUBLIC_GOOD_TUF_MIRROR
  }
  if (mirror === undefined) return undefined
  if (!/^https?:\/\/[^/\s]+/i.test(mirror)) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: `the TUF mirror must be an http(s) URL (got ${mirror} from --tuf: write --tuf=MIRROR, or --tuf after the files)`,
    })
  }
  const tufRoot = flags.tufRoot === undefined ? env.tufRootPath : resolvePath(io.cwd, flags.tufRoot)
  return {
    mirror,
    ...(tufRoot === undefined ? {} : { rootPath: tufRoot }),
    ...(env.cacheDir === undefined ? {} : { cacheDir: env.cacheDir }),
  }
}

/**
 * The trust-root variables (`$CERTUS_TRUST_TUF_*`, `$CERTUS_TRUST_TRUST_ROOT_MAX_AGE_DAYS`), read by the service's
 * parser — the one the server uses.
 * @throws CliError `CLI_USAGE` naming each bad variable.
 */
async function trustRootEnv(io: CliIo): Promise<TrustRootEnv> {
  const { readTrustRootEnv } = await import('@certus-trust/service/env')
  const result = readTrustRootEnv(io.env, { cwd: io.cwd })
  if (result.ok) return result.value
  throw new CliError({ code: 'CLI_USAGE', message: result.problems.join('; ') })
}

/** Loads the public-good trusted root as the flags and environment ask (see `loadPublicGoodTrustedRoot`). */
export async function loadPublicGood(
  io: CliIo,
  flags: TufFlags,
  options: { fallback?: boolean } = {},
): Promise<LoadedTrustedRoot> {
  const settings = await tufSettings(io, flags)
  const { loadPublicGoodTrustedRoot } = await import('@certus-trust/service/trust-root')
  return loadPublicGoodTrustedRoot({
    mirror: settings?.mirror,
    tufRoot: settings?.rootPath,
    cacheDir: settings?.cacheDir,
    maxAgeDays: (await trustRootEnv(io)).maxAgeDays,
    ...options,
  })
}

/** How `verify` names the public-good root it used. */
export function describePublicGood(loaded: LoadedTrustedRoot): string {
  if (loaded.source === 'tuf')
    return `Sigstore public-good root (refreshed through TUF from ${loaded.mirror})`
  if (loaded.source === 'tuf-cache')
    return `Sigstore public-good root (TUF cache in ${loaded.cacheDir}; ${loaded.mirror} unreachable)`
  const date = loaded.snapshotDate?.toISOString().slice(0, 10)
  if (loaded.mirror !== undefined)
    return `Sigstore public-good production root (embedded snapshot of ${date}; ${loaded.mirror} unreachable, nothing cached)`
  return `Sigstore public-good production root (embedded snapshot of ${date}, offline)`
}
