import { constants } from 'node:fs'
import { access, chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { CliError } from './errors.js'

/** Resolves a command-line path against the CLI's working directory. */
export function resolvePath(cwd: string, path: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path)
}

/** Reads a file named on the command line; a missing or unreadable file is `CLI_FILE_NOT_FOUND`. */
export async function readInputFile(path: string, what: string): Promise<Buffer> {
  try {
    const info = await stat(path)
    if (info.isDirectory()) {
      throw new CliError({ code: 'CLI_INPUT_INVALID', message: `${what} ${path} is a directory, not a file` })
    }
    return await readFile(path)
  } catch (error) {
    if (CliError.is(error)) throw error
    throw new CliError({
      code: 'CLI_FILE_NOT_FOUND',
      message: `cannot read ${what} ${path}`,
      cause: error,
      details: { path },
    })
  }
}

/**
 * Checks that a file named on the command line exists, is a file and is readable — without reading it
 * (artifacts can be large; they are hashed as streams later).
 */
export async function checkInputFile(path: string, what: string): Promise<void> {
  try {
    const info = await stat(path)
    if (info.isDirectory()) {
      throw new CliError({ code: 'CLI_INPUT_INVALID', message: `${what} ${path} is a directory, not a file` })
    }
    await access(path, constants.R_OK)
  } catch (error) {
    if (CliError.is(error)) throw error
    throw new CliError({
      code: 'CLI_FILE_NOT_FOUND',
      message: `cannot read ${what} ${path}`,
      cause: error,
      details: { path },
    })
  }
}

/** Reads and parses a JSON file; bad JSON is `CLI_INPUT_INVALID`. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const text = (await readInputFile(path, what)).toString('utf8')
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new CliError({
      code: 'CLI_INPUT_INVALID',
      message: `${what} ${path} is not valid JSON`,
      cause: error,
      details: { path },
    })
  }
}

/** True when something exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Writes an output file, creating its directory. `secret` files (private keys) get owner-only
 * permissions; `overwrite: false` refuses to replace an existing file.
 */
export async function writeOutputFile(
  path: string,
  data: string | Uint8Array,
  options: { secret?: boolean; overwrite?: boolean; what: string },
): Promise<void> {
  if (options.overwrite === false && (await exists(path))) {
    throw new CliError({
      code: 'CLI_OUTPUT_FAILED',
      message: `${options.what} ${path} already exists (pass --force to replace it)`,
      details: { path },
    })
  }
  try {
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, data, { mode: options.secret ? 0o600 : 0o644 })
    // `mode` only applies when the file is created; a replaced key file must not keep wider permissions.
    if (options.secret) await chmod(path, 0o600)
  } catch (error) {
    throw new CliError({
      code: 'CLI_OUTPUT_FAILED',
      message: `cannot write ${options.what} ${path}`,
      cause: error,
      details: { path },
    })
  }
}
