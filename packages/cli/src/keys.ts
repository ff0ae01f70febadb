import type { KeyObject } from 'node:crypto'
import type { KeyProvider } from '@certus-trust/signer'
import { CliError } from './errors.js'
import { readInputFile, resolvePath } from './files.js'
import { isKmsKeyUri, openKmsKey } from './kms.js'
import { PASSWORD_VARIABLE, type Password } from './password.js'

export { PASSPHRASE_VARIABLE, PASSWORD_VARIABLE } from './password.js'

/**
 * Reads `--key`: a KMS key URI opens the KMS key (see {@link openKmsKey}); anything else is a PEM file read,
 * decrypted and checked by {@link readPrivateKeyOption}.
 */
export async function readSigningKeyOption(
  cwd: string,
  option: string | undefined,
  password: Password | undefined,
): Promise<KeyProvider | KeyObject | undefined> {
  if (option !== undefined && (await isKmsKeyUri(option))) return openKmsKey(option)
  return readPrivateKeyOption(cwd, option, password)
}

/**
 * Reads `--key` and checks it is a usable private key before anything is signed or recorded, so a bad key
 * fails fast with `CLI_INPUT_INVALID`, and an encrypted one without its password (or with a wrong one) with
 * `CLI_KEY_PASSWORD`. Neither the key nor the password ever appears in a message.
 */
export async function readPrivateKeyOption(
  cwd: string,
  option: string | undefined,
  password: Password | undefined,
): Promise<KeyObject | undefined> {
  if (option === undefined) return undefined
  const path = resolvePath(cwd, option)
  const pem = (await readInputFile(path, 'key')).toString('utf8')
  const { loadPrivateKey } = await import('@certus-trust/signer')
  try {
    return loadPrivateKey(pem, password === undefined ? {} : { passphrase: password.value })
  } catch (error) {
    const reason = (error as { code?: string }).code
    if (reason === 'SIGNER_WRONG_PASSPHRASE') {
      throw new CliError({
        code: 'CLI_KEY_PASSWORD',
        message:
          password === undefined
            ? `private key ${path} is encrypted: give its password with --password-stdin or ${PASSWORD_VARIABLE}`
            : `cannot decrypt private key ${path}: the password from ${password.source} is wrong`,
        details: { path },
      })
    }
    throw new CliError({
      code: 'CLI_INPUT_INVALID',
      message: `key ${path} is not a usable private key${reason ? ` (${reason})` : ''}`,
      cause: error,
      details: { path },
    })
  }
}
