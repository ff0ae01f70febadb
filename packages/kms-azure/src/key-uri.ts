import { KmsError } from '@certus-trust/kms'

/** A parsed `azurekms://VAULT_HOST/KEY[/VERSION]` URI. */
export interface AzureKeyUri {
  /** `https://VAULT_HOST` */
  vaultUrl: string
  keyName: string
  version?: string
}

const PATTERN = /^azurekms:\/\/([A-Za-z0-9.-]+(?::\d+)?)\/([A-Za-z0-9-]+)(?:\/([A-Za-z0-9]+))?$/

/**
 * Parses cosign's Azure Key Vault key URI, `azurekms://VAULT.vault.azure.net/KEY` (an optional `/VERSION` pins a
 * key version; without it the current version at start-up is used and pinned).
 * @throws KmsError `KMS_INVALID_URI`
 */
export function parseAzureKeyUri(uri: string): AzureKeyUri {
  const match = typeof uri === 'string' ? PATTERN.exec(uri) : null
  if (!match) {
    throw new KmsError({
      code: 'KMS_INVALID_URI',
      message: 'expected azurekms://VAULT.vault.azure.net/KEY[/VERSION]',
    })
  }
  const [, host, keyName, version] = match as unknown as [string, string, string, string | undefined]
  return { vaultUrl: `https://${host}`, keyName, ...(version ? { version } : {}) }
}
