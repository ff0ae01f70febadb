import type { DataDir, DataDirLog } from '@certus-trust/service/data-dir'
import { CliError } from './errors.js'
import { resolvePath } from './files.js'
import type { CliIo } from './io.js'

/*
 * The data directory and its embedded log come from @certus-trust/service, the same code the server opens
 * them with; this module only resolves `--data-dir` and turns the service's errors into the CLI's codes and
 * hints. The service is imported on demand: it loads the database and log modules.
 */

/** Default `--data-dir`, relative to the working directory (the service's layout). */
async function dataDirPath(cwd: string, option: string | undefined): Promise<string> {
  const { DEFAULT_DATA_DIR } = await import('@certus-trust/service/layout')
  return resolvePath(cwd, option ?? DEFAULT_DATA_DIR)
}

/** Hints by the service's `details.reason`, naming what the user can do about it. */
const HINTS: Record<string, string> = {
  missing: 'run `certus sign` first, or pass --data-dir',
  no_log: 'sign something first, or pass --data-dir / --rekor-url',
}

/** `SERVICE_DATA_DIR` → `CLI_DATA_DIR` (exit 4) with a hint; anything else passes through. */
async function asCliError(error: unknown): Promise<never> {
  const { ServiceError } = await import('@certus-trust/service')
  if (!ServiceError.is(error, 'SERVICE_DATA_DIR')) throw error
  const hint = HINTS[String(error.details.reason)]
  const pid = error.details.pid
  throw new CliError({
    code: 'CLI_DATA_DIR',
    message: hint ? `${error.message} (${hint})` : error.message,
    cause: error,
    details: { path: error.details.path, ...(typeof pid === 'number' ? { pid } : {}) },
  })
}

/**
 * Opens (and with `create`, creates with mode 0700) `--data-dir` and takes its lock, waiting up to 30 s for
 * another `certus` process or server to finish.
 * @throws CliError `CLI_DATA_DIR` when the directory is missing (without `create`) or stays locked.
 */
export async function openDataDir(
  cwd: string,
  option: string | undefined,
  create: boolean,
): Promise<DataDir> {
  const path = await dataDirPath(cwd, option)
  const { openDataDir: open } = await import('@certus-trust/service/data-dir')
  return open({ path, create }).catch(asCliError)
}

/**
 * Opens `--data-dir`'s embedded log (its database and log key, generated on first use). With `exports` (trust-root
 * and signing-config export) also the Rekor v2 log and timestamp authority beside it, named by `exports.baseUrl`
 * (the server's `CERTUS_TRUST_LOG_BASE_URL`).
 * @param create - create the directory, database and key when missing (sign, attest, trust-root export);
 *   read-only commands (log …) pass false and get `CLI_DATA_DIR` for a directory that holds no log.
 */
export async function openEmbeddedLog(
  io: CliIo,
  option: string | undefined,
  create: boolean,
  exports?: { baseUrl?: string | undefined },
): Promise<DataDirLog> {
  const path = await dataDirPath(io.cwd, option)
  const { openDataDirLog } = await import('@certus-trust/service/data-dir')
  const services = exports ? { services: true, ...(exports.baseUrl ? { baseUrl: exports.baseUrl } : {}) } : {}
  return openDataDirLog({ path, create, ...services }).catch(asCliError)
}

/**
 * The data directory's signing key, generated (ECDSA P-256, mode 0600) on first use. The key never leaves
 * the file except as the returned PEM; nothing logs it.
 */
export async function loadOrCreatePrivateKey(path: string): Promise<{ pem: string; created: boolean }> {
  const { loadOrCreateSigningKey } = await import('@certus-trust/service/data-dir')
  return loadOrCreateSigningKey(path)
}
