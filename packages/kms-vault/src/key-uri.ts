import { KmsError } from '@certus-trust/kms'

/**
 * Parses cosign's Vault key URI `hashivault://KEY`: the name of a key of the transit secrets engine.
 * @throws KmsError `KMS_INVALID_URI`
 */
export function parseVaultKeyUri(uri: string): { keyName: string } {
  const match = typeof uri === 'string' ? /^hashivault:\/\/([A-Za-z0-9_.-]+)$/.exec(uri) : null
  if (!match?.[1]) {
    throw new KmsError({
      code: 'KMS_INVALID_URI',
      message: 'expected hashivault://KEY, KEY being the name of a transit key (letters, digits, _ . -)',
    })
  }
  return { keyName: match[1] }
}
