import type { KeyProvider } from '@certus-trust/signer'
import { CliError } from './errors.js'
import { readInputFile, resolvePath } from './files.js'
import { isKmsKeyUri, openKmsKey } from './kms.js'

/** Environment variable holding the passphrase of an encrypted `--key` (never a flag: flags show up in `ps`). */
export const PASSPHRASE_VARIABLE = 'CERTUS_TRUST_KEY_PASSPHRASE'

/**
 * Reads `--key`: a KMS key URI opens the KMS key (see {@link openKmsKey}); anything else is a PEM file read and
 * checked by {@link readPrivateKeyOption}.
 */
export async function readSigningKeyOption(
  cwd: string,
  option: string | undefined,
  passphrase: string | undefined,
): Promise<KeyProvider | string | undefined> {
  if (option !== undefined && (await isKmsKeyUri(option))) return openKmsKey(option)
  return readPrivateKeyOption(cwd, option, passphrase)
}

/**
 * Reads `--key` and checks it is a usable private key before anything is signed or recorded, so a bad key
 * (or a wrong passphrase) fails fast with `CLI_INPUT_INVALID`; the key never appears in the message.
 */
export async function readPrivateKeyOption(
  cwd: string,
  option: string | undefined,
  passphrase: string | undefined,
): Promise<string | undefined> {
  if (option === undefined) return undefined
  const path = resolvePath(cwd, option)
  const pem = (await readInputFile(path, 'key')).toString('utf8')
  const { loadPrivateKey } = await import('@certus-trust/signer')
  try {
    loadPrivateKey(pem, passphrase === undefined ? {} : { passphrase })
  } catch (error) {
    const reason = (error as { code?: string }).code
    throw new CliError({
      code: 'CLI_INPUT_INVALID',
      message: `key ${path} is not a usable private key${reason ? ` (${reason})` : ''}${
        reason === 'SIGNER_WRONG_PASSPHRASE' ? `; set ${PASSPHRASE_VARIABLE} for an encrypted key` : ''
      }`,
      cause: error,
      details: { path },
    })
  }
  return pem
}
