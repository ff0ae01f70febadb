import { CliError } from './errors.js'
import type { CliIo } from './io.js'

/** The password of an encrypted private key, as cosign's `COSIGN_PASSWORD`. */
export const PASSWORD_VARIABLE = 'CERTUS_PASSWORD'
/** The older name, still read (after {@link PASSWORD_VARIABLE}). */
export const PASSPHRASE_VARIABLE = 'CERTUS_TRUST_KEY_PASSPHRASE'

/** A password and where it came from (named in messages; the value never is). */
export interface Password {
  value: string
  source: '--password-stdin' | typeof PASSWORD_VARIABLE | typeof PASSPHRASE_VARIABLE
}

/** Passwords longer than this are refused: stdin may be a file by mistake. */
const MAX_PASSWORD_BYTES = 4096

/**
 * The key password: with `--password-stdin` all of stdin (one trailing newline removed), else
 * `$CERTUS_PASSWORD`, else `$CERTUS_TRUST_KEY_PASSPHRASE` (`legacy: false` skips that one). Never a flag value:
 * flags show up in `ps`.
 * @throws CliError `CLI_USAGE` when `--password-stdin` gets nothing (or too much).
 */
export async function readPassword(
  io: CliIo,
  options: { passwordStdin?: boolean; legacy?: boolean },
): Promise<Password | undefined> {
  if (options.passwordStdin) return { value: await readStdinPassword(io), source: '--password-stdin' }
  const fromEnv = io.env[PASSWORD_VARIABLE]
  if (fromEnv) return { value: fromEnv, source: PASSWORD_VARIABLE }
  const legacy = options.legacy === false ? undefined : io.env[PASSPHRASE_VARIABLE]
  if (legacy) return { value: legacy, source: PASSPHRASE_VARIABLE }
  return undefined
}

async function readStdinPassword(io: CliIo): Promise<string> {
  if (!io.stdin) throw new CliError({ code: 'CLI_USAGE', message: '--password-stdin: no standard input' })
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of io.stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array)
    size += bytes.length
    if (size > MAX_PASSWORD_BYTES) {
      throw new CliError({
        code: 'CLI_USAGE',
        message: `--password-stdin: more than ${MAX_PASSWORD_BYTES} bytes on standard input`,
      })
    }
    chunks.push(bytes)
  }
  const value = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
  if (value === '') {
    throw new CliError({ code: 'CLI_USAGE', message: '--password-stdin: standard input held no password' })
  }
  return value
}
