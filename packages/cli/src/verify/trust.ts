import { stat } from 'node:fs/promises'
import { DEFAULT_DATA_DIR, dataDirLayout } from '@certus-trust/service/layout'
import { CliError } from '../errors.js'
import { exists, readJsonFile, resolvePath } from '../files.js'
import type { CliIo } from '../io.js'
import { describePublicGood, loadPublicGood, type TufFlags } from './tuf.js'

/** One source of trust material, as `verify` names it in its output. */
export type TrustSource =
  | {
      kind: 'public-good'
      description: string
      /** `tuf` (refreshed now), `tuf-cache` (mirror unreachable) or `embedded` (the snapshot). */
      origin: 'tuf' | 'tuf-cache' | 'embedded'
      /** The TUF mirror asked, if any. */
      mirror?: string
    }
  | { kind: 'data-dir'; path: string; trustedRoot: string }
  | { kind: 'trusted-root'; path: string }

/** The trust material `verify` uses and where it came from. */
export interface VerifyTrust {
  /** TrustedRoot JSON object; undefined = the verifier's embedded public-good root alone. */
  trustedRoot: Record<string, unknown> | undefined
  sources: TrustSource[]
  /** Warnings about the trust material (TUF refresh failed, embedded snapshot old), in order. */
  warnings: string[]
}

/** The TrustedRoot lists a data directory contributes (never certificate authorities, see below). */
const LOCAL_LISTS = ['tlogs', 'timestampAuthorities'] as const

/**
 * Chooses `verify`'s trust material, explicitly:
 * - `--trusted-root T`: exactly T, nothing else (`--tuf` with it is a usage error);
 * - otherwise the public-good root — refreshed through TUF with `--tuf`/`$CERTUS_TRUST_TUF_MIRROR` (falling back
 *   to the cache, then to the embedded snapshot, with a warning), else the embedded snapshot — plus the logs and timestamp authorities of the data directory when
 *   there is one. `--data-dir` or `$CERTUS_TRUST_DATA_DIR` name it and must exist (`CLI_DATA_DIR`); the default
 *   `.certus` is used only when it exists.
 *
 * A data directory adds only transparency logs and timestamp authorities (all that `certus sign` records), never
 * certificate authorities or CT logs: a `.certus` left in a directory can then not make anyone's certificate
 * identity trusted. Keyless bundles from a private Fulcio need `--trusted-root`.
 */
export async function chooseTrust(
  io: CliIo,
  options: { trustedRoot?: string | undefined; dataDir?: string | undefined } & TufFlags,
): Promise<VerifyTrust> {
  if (options.trustedRoot !== undefined) {
    if ((options.tuf !== undefined && options.tuf !== false) || options.tufRoot !== undefined) {
      throw new CliError({
        code: 'CLI_USAGE',
        message: '--trusted-root trusts exactly that file: it cannot be combined with --tuf or --tuf-root',
      })
    }
    const path = resolvePath(io.cwd, options.trustedRoot)
    const root = await readJsonFile(path, 'trusted root')
    if (typeof root !== 'object' || root === null || Array.isArray(root)) {
      throw new CliError({ code: 'CLI_INPUT_INVALID', message: `trusted root ${path} is not a JSON object` })
    }
    return {
      trustedRoot: root as Record<string, unknown>,
      sources: [{ kind: 'trusted-root', path }],
      warnings: [],
    }
  }
  const dataDir = await locateDataDir(io, options.dataDir)
  const loaded = await loadPublicGood(io, options)
  const publicGood: TrustSource = {
    kind: 'public-good',
    description: describePublicGood(loaded),
    origin: loaded.source,
    ...(loaded.mirror === undefined ? {} : { mirror: loaded.mirror }),
  }
  // The embedded snapshot alone is the verifier's own default (parsed once per process).
  const base = loaded.source === 'embedded' ? undefined : loaded.trustedRoot
  const { warnings } = loaded
  if (dataDir === undefined) return { trustedRoot: base, sources: [publicGood], warnings }
  const trustedRootPath = dataDirLayout(dataDir).trustedRootPath
  if (!(await exists(trustedRootPath))) return { trustedRoot: base, sources: [publicGood], warnings }
  const local = await readJsonFile(trustedRootPath, 'trusted root')
  const merged = loaded.trustedRoot
  for (const list of LOCAL_LISTS) {
    const extra = (local as Record<string, unknown> | null)?.[list]
    if (Array.isArray(extra)) merged[list] = [...((merged[list] as unknown[]) ?? []), ...extra]
  }
  return {
    trustedRoot: merged,
    sources: [publicGood, { kind: 'data-dir', path: dataDir, trustedRoot: trustedRootPath }],
    warnings,
  }
}

/** A named data directory must exist; the implicit default is used only when it does. */
async function locateDataDir(io: CliIo, option: string | undefined): Promise<string | undefined> {
  const named = option ?? (io.env.CERTUS_TRUST_DATA_DIR?.trim() || undefined)
  const path = resolvePath(io.cwd, named ?? DEFAULT_DATA_DIR)
  const info = await stat(path).catch(() => undefined)
  if (info?.isDirectory()) return path
  if (named === undefined) return undefined
  throw new CliError({
    code: 'CLI_DATA_DIR',
    message: `data directory ${path} ${info ? 'is not a directory' : 'does not exist'} (named by ${
      option !== undefined ? '--data-dir' : 'CERTUS_TRUST_DATA_DIR'
    }); verify does not fall back to public-good alone`,
    details: { path },
  })
}

/** One line naming the trust material, for text output. */
export function describeTrust(sources: readonly TrustSource[]): string {
  return sources.map(describeSource).join(' + ')
}

function describeSource(source: TrustSource): string {
  if (source.kind === 'public-good') return source.description
  if (source.kind === 'data-dir') return `logs and timestamp authorities of data directory ${source.path}`
  return `trusted root ${source.path}`
}
