import { stat } from 'node:fs/promises'
import { DEFAULT_DATA_DIR, dataDirLayout } from '@certus-trust/service/layout'
import { CliError } from '../errors.js'
import { exists, readJsonFile, resolvePath } from '../files.js'
import type { CliIo } from '../io.js'

/** One source of trust material, as `verify` names it in its output. */
export type TrustSource =
  | { kind: 'public-good'; description: string }
  | { kind: 'data-dir'; path: string; trustedRoot: string }
  | { kind: 'trusted-root'; path: string }

/** The trust material `verify` uses and where it came from. */
export interface VerifyTrust {
  /** TrustedRoot JSON object; undefined = the verifier's embedded public-good root alone. */
  trustedRoot: Record<string, unknown> | undefined
  sources: TrustSource[]
}

/** The TrustedRoot lists a data directory contributes (never certificate authorities, see below). */
const LOCAL_LISTS = ['tlogs', 'timestampAuthorities'] as const

/**
 * Chooses `verify`'s trust material, explicitly:
 * - `--trusted-root T`: exactly T, nothing else;
 * - otherwise the embedded public-good root, plus the logs and timestamp authorities of the data directory when
 *   there is one. `--data-dir` or `$CERTUS_TRUST_DATA_DIR` name it and must exist (`CLI_DATA_DIR`); the default
 *   `.certus` is used only when it exists.
 *
 * A data directory adds only transparency logs and timestamp authorities (all that `certus sign` records), never
 * certificate authorities or CT logs: a `.certus` left in a directory can then not make anyone's certificate
 * identity trusted. Keyless bundles from a private Fulcio need `--trusted-root`.
 */
export async function chooseTrust(
  io: CliIo,
  options: { trustedRoot?: string | undefined; dataDir?: string | undefined },
): Promise<VerifyTrust> {
  if (options.trustedRoot !== undefined) {
    const path = resolvePath(io.cwd, options.trustedRoot)
    const root = await readJsonFile(path, 'trusted root')
    if (typeof root !== 'object' || root === null || Array.isArray(root)) {
      throw new CliError({ code: 'CLI_INPUT_INVALID', message: `trusted root ${path} is not a JSON object` })
    }
    return { trustedRoot: root as Record<string, unknown>, sources: [{ kind: 'trusted-root', path }] }
  }
  const { PUBLIC_GOOD_TRUSTED_ROOT_JSON } = await import('@certus-trust/verifier')
  const publicGood: TrustSource = {
    kind: 'public-good',
    description: 'Sigstore public-good production root (embedded, offline)',
  }
  const dataDir = await locateDataDir(io, options.dataDir)
  if (dataDir === undefined) return { trustedRoot: undefined, sources: [publicGood] }
  const trustedRootPath = dataDirLayout(dataDir).trustedRootPath
  if (!(await exists(trustedRootPath))) return { trustedRoot: undefined, sources: [publicGood] }
  const local = await readJsonFile(trustedRootPath, 'trusted root')
  const merged = JSON.parse(PUBLIC_GOOD_TRUSTED_ROOT_JSON) as Record<string, unknown>
  for (const list of LOCAL_LISTS) {
    const extra = (local as Record<string, unknown> | null)?.[list]
    if (Array.isArray(extra)) merged[list] = [...((merged[list] as unknown[]) ?? []), ...extra]
  }
  return {
    trustedRoot: merged,
    sources: [publicGood, { kind: 'data-dir', path: dataDir, trustedRoot: trustedRootPath }],
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
