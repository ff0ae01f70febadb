import { generateKeyPairSync } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { acquireDirectoryLock, type DirectoryLock } from '@certus-trust/storage-postgres'
import { CliError } from './errors.js'
import { exists, resolvePath, writeOutputFile } from './files.js'

/** Default data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.certus'

/** The files of a data directory. One process at a time holds it (PGlite is single-process). */
export interface DataDir {
  /** Absolute path of the directory. */
  path: string
  /** PKCS#8 PEM of the embedded log's signing key (checkpoints and SETs). */
  logKeyPath: string
  /** PKCS#8 PEM of the local signing key used when `--key` is not given. */
  signingKeyPath: string
  /** PGlite database directory holding the embedded log's state (the server's default location too). */
  databasePath: string
  /** Releases the directory lock. Idempotent. */
  release(): Promise<void>
}

const LOCK_WAIT_MS = 30_000

/**
 * Opens (and with `create`, creates with mode 0700) a data directory and takes its lock, waiting up to
 * 30 s for another `certus` process to finish. A lock left by a process that no longer runs is taken over.
 *
 * @throws CliError `CLI_DATA_DIR` when the directory is missing (without `create`) or stays locked.
 */
export async function openDataDir(
  cwd: string,
  option: string | undefined,
  create: boolean,
): Promise<DataDir> {
  const path = resolvePath(cwd, option ?? DEFAULT_DATA_DIR)
  if (!(await exists(path))) {
    if (!create) {
      throw new CliError({
        code: 'CLI_DATA_DIR',
        message: `data directory ${path} does not exist (run \`certus sign\` first, or pass --data-dir)`,
        details: { path },
      })
    }
    try {
      await mkdir(path, { recursive: true, mode: 0o700 })
    } catch (error) {
      throw new CliError({
        code: 'CLI_DATA_DIR',
        message: `cannot create data directory ${path}`,
        cause: error,
      })
    }
  }
  const lock = await lockDataDir(path)
  return {
    path,
    logKeyPath: join(path, 'log-key.pem'),
    signingKeyPath: join(path, 'signing-key.pem'),
    databasePath: join(path, 'log-db'),
    release: () => lock.release(),
  }
}

/** The same lock the server takes on its data directory, so the two never open one PGlite database at once. */
async function lockDataDir(path: string): Promise<DirectoryLock> {
  try {
    return await acquireDirectoryLock(path, { waitMs: LOCK_WAIT_MS })
  } catch (error) {
    const pid = (error as { details?: { pid?: unknown } }).details?.pid
    throw new CliError({
      code: 'CLI_DATA_DIR',
      message:
        typeof pid === 'number'
          ? `data directory ${path} is in use by process ${pid}`
          : `cannot lock data directory ${path}`,
      cause: error,
      ...(typeof pid === 'number' ? { details: { pid } } : {}),
    })
  }
}

/**
 * Reads a PKCS#8 PEM private key, generating an ECDSA P-256 key (mode 0600) when the file does not exist.
 * The key never leaves the file except as the returned PEM; nothing logs it.
 */
export async function loadOrCreatePrivateKey(path: string): Promise<{ pem: string; created: boolean }> {
  if (await exists(path)) return { pem: await readFile(path, 'utf8'), created: false }
  const { privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  await writeOutputFile(path, privateKey, { secret: true, overwrite: false, what: 'generated key' })
  return { pem: privateKey, created: true }
}
