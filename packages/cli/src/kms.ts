import type { KmsKeyAlgorithm, KmsKeyInfo, KmsKeyProvider } from '@certus-trust/kms'

/** True when a `--key` / `--kms` value is a KMS key URI (`awskms://`, `gcpkms://`, `azurekms://`, `hashivault://`). */
export async function isKmsKeyUri(value: string | undefined): Promise<boolean> {
  if (value === undefined || !/^[a-z]+:\/\//.test(value)) return false
  const { kmsSchemeOf } = await import('@certus-trust/kms')
  return kmsSchemeOf(value) !== undefined
}

// The provider packages are optional: they are loaded from the CLI's own dependencies, where users install them.
const load = (packageName: string): Promise<unknown> => import(packageName)

/**
 * Opens the KMS key a URI names and fetches its public key, so a missing key, denied access or missing provider
 * package fails before anything is signed or recorded. Credentials come from each vendor SDK's own discovery.
 * @throws KmsError `KMS_PROVIDER_NOT_INSTALLED` (with the install command), `KMS_NOT_FOUND`, …
 */
export async function openKmsKey(uri: string): Promise<KmsKeyProvider> {
  const { resolveKeyProvider } = await import('@certus-trust/kms')
  const provider = await resolveKeyProvider(uri, { load })
  await provider.publicKey()
  return provider
}

/** Creates a key in the KMS the URI names (`certus keygen --kms`). */
export async function createKmsKeyFromUri(
  uri: string,
  algorithm: KmsKeyAlgorithm,
): Promise<{ provider: KmsKeyProvider; info: KmsKeyInfo }> {
  const { createKmsKey } = await import('@certus-trust/kms')
  const provider = await createKmsKey(uri, { load, algorithm })
  return { provider, info: await provider.describe() }
}
