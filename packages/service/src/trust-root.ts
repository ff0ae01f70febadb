// `@certus-trust/service/trust-root`: the public-good trusted root, refreshed through TUF or taken from the
// embedded snapshot. No database or log modules, so `certus verify` loads only this; @sigstore/tuf is imported
// only when a mirror is used.
import { access, constants } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { PUBLIC_GOOD_TRUSTED_ROOT_JSON, PUBLIC_GOOD_TUF_MIRROR } from '@certus-trust/verifier'
import { ServiceError } from './errors.js'

/** TUF mirror of the Sigstore public-good instance (its initial root ships inside @sigstore/tuf). */
export { PUBLIC_GOOD_TUF_MIRROR }
/** Age in days past which using the embedded snapshot is warned about. */
export const DEFAULT_TRUST_ROOT_MAX_AGE_DAYS = 90
/** The TUF target holding the Sigstore TrustedRoot. */
export const TRUSTED_ROOT_TUF_TARGET = 'trusted_root.json'

const DAY_MS = 86_400_000
const TRUSTED_ROOT_MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\.v0\.\d+)?\+json/

/** A Sigstore TrustedRoot JSON object. */
export type TrustedRootJson = Record<string, unknown>

/** Options of {@link loadPublicGoodTrustedRoot}. */
export interface LoadPublicGoodTrustedRootOptions {
  /**
   * TUF mirror to refresh `trusted_root.json` from. Undefined = no network: the embedded snapshot.
   * @default undefined
   */
  mirror?: string | undefined
  /**
   * Path of the mirror's initial `root.json` (a private mirror). Needed only for mirrors whose root @sigstore/tuf
   * does not ship, and only until the cache holds one. @default the shipped public-good root
   */
  tufRoot?: string | undefined
  /** Where TUF metadata and targets are cached (one subdirectory per mirror). @default {@link defaultTufCacheDir} */
  cacheDir?: string | undefined
  /**
   * Warn when the embedded snapshot is used and is older than this many days; 0 never warns.
   * @default DEFAULT_TRUST_ROOT_MAX_AGE_DAYS (90)
   */
  maxAgeDays?: number | undefined
  /** The current time, for the age. @default new Date() */
  now?: Date | undefined
  /** Told every warning as it is emitted (they are also returned). @default ignored */
  warn?: ((message: string) => void) | undefined
  /**
   * Fall back to the cache, then to the embedded snapshot, when the refresh fails. `false` throws instead
   * (`certus trust-root refresh`). @default true
   */
  fallback?: boolean | undefined
  /** Milliseconds per TUF request. @default 5000 */
  timeoutMs?: number | undefined
  /** Retries of a TUF request that failed on the network or with a 5xx. @default 1 */
  retries?: number | undefined
}

/** Where the trusted root of {@link LoadedTrustedRoot} came from. */
export type TrustedRootSource = 'tuf' | 'tuf-cache' | 'embedded'

/** What {@link loadPublicGoodTrustedRoot} resolved. */
export interface LoadedTrustedRoot {
  trustedRoot: TrustedRootJson
  /** `tuf` refreshed from the mirror now; `tuf-cache` the verified cached copy (mirror unreachable); `embedded`. */
  source: TrustedRootSource
  /** The mirror asked, when one was. */
  mirror?: string | undefined
  /** The cache directory used, when a mirror was asked. */
  cacheDir?: string | undefined
  /** The embedded snapshot's date (see {@link embeddedSnapshotDate}), when it was used. */
  snapshotDate?: Date | undefined
  /** The embedded snapshot's age in whole days, when it was used. */
  ageDays?: number | undefined
  /** Every warning emitted, in order. */
  warnings: string[]
}

/** The default TUF cache directory: `~/.cache/certus-trust/tuf`. */
export function defaultTufCacheDir(): string {
  return join(homedir(), '.cache', 'certus-trust', 'tuf')
}

/**
 * The date of a trusted root snapshot: the newest `validFor.start` of any of its transparency logs, CT logs,
 * certificate authorities or timestamp authorities. A snapshot cannot be older than the newest key it lists, and
 * nothing else in the TrustedRoot format dates it, so this is a lower bound on when it was taken.
 */
export function embeddedSnapshotDate(json: string = PUBLIC_GOOD_TRUSTED_ROOT_JSON): Date {
  const root = JSON.parse(json) as Record<string, Array<Record<string, unknown>> | undefined>
  const starts: number[] = []
  const startOf = (validFor: unknown) => {
    const start = (validFor as { start?: unknown } | undefined)?.start
    if (typeof start === 'string' && !Number.isNaN(Date.parse(start))) starts.push(Date.parse(start))
  }
  for (const list of ['tlogs', 'ctlogs'])
    for (const log of root[list] ?? [])
      startOf((log.publicKey as { validFor?: unknown } | undefined)?.validFor)
  for (const list of ['certificateAuthorities', 'timestampAuthorities'])
    for (const authority of root[list] ?? []) startOf(authority.validFor)
  if (starts.length === 0)
    throw new ServiceError({ code: 'SERVICE_CONFIG_INVALID', message: 'the trusted root names no validity' })
  return new Date(Math.max(...starts))
}

/**
 * The public-good trusted root: with a `mirror`, `trusted_root.json` refreshed through TUF (@sigstore/tuf,
 * metadata cached in `cacheDir`); if that fails, the verified cached copy (warned); if there is none, the snapshot
 * embedded in @certus-trust/verifier (warned, stating its age). Without a mirror, the embedded snapshot. Using the
 * snapshot when it is older than `maxAgeDays` emits an age warning too.
 *
 * @example
 * const { trustedRoot, warnings } = await loadPublicGoodTrustedRoot({ mirror: PUBLIC_GOOD_TUF_MIRROR })
 * @throws ServiceError `SERVICE_CONFIG_INVALID` (unreadable `tufRoot`, bad `maxAgeDays`);
 *   `SERVICE_TRUST_ROOT_UNAVAILABLE` when the refresh fails and `fallback` is false.
 */
export async function loadPublicGoodTrustedRoot(
  options: LoadPublicGoodTrustedRootOptions = {},
): Promise<LoadedTrustedRoot> {
  const settings = await resolveOptions(options)
  const warnings: string[] = []
  const warn = (message: string) => {
    warnings.push(message)
    options.warn?.(message)
  }
  if (settings.mirror === undefined) return embedded(settings, warn, warnings)
  const located = { mirror: settings.mirror, cacheDir: settings.cacheDir }
  let failure: unknown
  try {
    const trustedRoot = await fetchFromTuf(settings, { forceCache: false })
    return { trustedRoot, source: 'tuf', ...located, warnings }
  } catch (error) {
    failure = error
  }
  const reason = describeFailure(failure)
  if (!settings.fallback) {
    throw new ServiceError({
      code: 'SERVICE_TRUST_ROOT_UNAVAILABLE',
      message: `TUF refresh of ${TRUSTED_ROOT_TUF_TARGET} from ${settings.mirror} failed: ${reason}`,
      cause: failure,
      details: located,
    })
  }
  try {
    // forceCache: the cached metadata is used while it is valid (signed, unexpired), without the network. The
    // mirror just failed, so whatever would need it fails at once instead of waiting out timeouts again.
    const trustedRoot = await fetchFromTuf(settings, { forceCache: true, timeoutMs: 1, retries: 0 })
    warn(
      `TUF refresh of the trusted root from ${settings.mirror} failed (${reason}); using the copy cached in ${settings.cacheDir}`,
    )
    return { trustedRoot, source: 'tuf-cache', ...located, warnings }
  } catch {
    // No valid cached copy: the embedded snapshot is all there is.
  }
  const date = embeddedSnapshotDate()
  warn(
    `TUF refresh of the trusted root from ${settings.mirror} failed (${reason}) and nothing valid is cached; using the embedded public-good snapshot of ${day(date)}, ${ageInDays(date, settings.now)} days old`,
  )
  return { ...embedded(settings, warn, warnings), ...located }
}

type Settings = {
  mirror: string | undefined
  tufRoot: string | undefined
  cacheDir: string
  maxAgeDays: number
  now: Date
  fallback: boolean
  timeoutMs: number
  retries: number
}

async function resolveOptions(options: LoadPublicGoodTrustedRootOptions): Promise<Settings> {
  const maxAgeDays = options.maxAgeDays ?? DEFAULT_TRUST_ROOT_MAX_AGE_DAYS
  if (!Number.isFinite(maxAgeDays) || maxAgeDays < 0) {
    throw new ServiceError({
      code: 'SERVICE_CONFIG_INVALID',
      message: `the trusted root's maximum age must be a number of days >= 0 (got ${maxAgeDays})`,
      details: { maxAgeDays },
    })
  }
  if (options.tufRoot !== undefined) {
    await access(options.tufRoot, constants.R_OK).catch((error: unknown) => {
      throw new ServiceError({
        code: 'SERVICE_CONFIG_INVALID',
        message: `cannot read the initial TUF root ${options.tufRoot}`,
        cause: error,
        details: { path: options.tufRoot },
      })
    })
  }
  return {
    // @sigstore/tuf keys its shipped roots and its cache by the exact URL: no trailing slash.
    mirror: options.mirror?.replace(/\/+$/, ''),
    tufRoot: options.tufRoot,
    cacheDir: options.cacheDir ?? defaultTufCacheDir(),
    maxAgeDays,
    now: options.now ?? new Date(),
    fallback: options.fallback ?? true,
    timeoutMs: options.timeoutMs ?? 5000,
    retries: options.retries ?? 1,
  }
}

function embedded(
  settings: Settings,
  warn: (message: string) => void,
  warnings: string[],
): LoadedTrustedRoot {
  const snapshotDate = embeddedSnapshotDate()
  const ageDays = ageInDays(snapshotDate, settings.now)
  if (settings.maxAgeDays > 0 && ageDays > settings.maxAgeDays) {
    warn(
      `the embedded public-good trusted root snapshot is ${ageDays} days old (from ${day(snapshotDate)}; warning after ${settings.maxAgeDays}): keys added since are missing, refresh it through TUF (certus verify --tuf, CERTUS_TRUST_TUF_MIRROR) or upgrade`,
    )
  }
  return {
    trustedRoot: JSON.parse(PUBLIC_GOOD_TRUSTED_ROOT_JSON) as TrustedRootJson,
    source: 'embedded',
    snapshotDate,
    ageDays,
    warnings,
  }
}

async function fetchFromTuf(
  settings: Settings,
  attempt: { forceCache: boolean; timeoutMs?: number; retries?: number },
): Promise<TrustedRootJson> {
  const retries = attempt.retries ?? settings.retries
  // Loaded on demand: TUF is needed only when a mirror is configured.
  const { initTUF } = await import('@sigstore/tuf')
  const client = await initTUF({
    mirrorURL: settings.mirror,
    cachePath: settings.cacheDir,
    ...(settings.tufRoot === undefined ? {} : { rootPath: settings.tufRoot }),
    forceCache: attempt.forceCache,
    timeout: attempt.timeoutMs ?? settings.timeoutMs,
    // A short, bounded back-off: a mirror that is down must not hold a `certus verify` for long.
    retry: retries > 0 ? { retries, factor: 2, minTimeout: 200, maxTimeout: 1000 } : false,
  })
  const parsed: unknown = JSON.parse(await client.getTarget(TRUSTED_ROOT_TUF_TARGET))
  const mediaType = (parsed as { mediaType?: unknown } | null)?.mediaType
  if (typeof mediaType !== 'string' || !TRUSTED_ROOT_MEDIA_TYPE.test(mediaType)) {
    throw new Error(
      `${TRUSTED_ROOT_TUF_TARGET} is not a Sigstore TrustedRoot (mediaType ${String(mediaType)})`,
    )
  }
  return parsed as TrustedRootJson
}

/** The failure and its causes in one line (TUF errors wrap the network error that explains them). */
function describeFailure(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    if (current.message && !parts.includes(current.message)) parts.push(current.message)
    current = current.cause
  }
  return parts.join(': ') || String(error)
}

function ageInDays(date: Date, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - date.getTime()) / DAY_MS))
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10)
}
