import { KmsError } from './errors.js'
import type { KmsKeyAlgorithm } from './public-key.js'
import type { KmsKeyProvider, KmsProviderOptions } from './remote-key-provider.js'

/** The key-URI schemes (cosign's) and the package that handles each, with the vendor SDK it needs. */
export const KMS_PROVIDER_PACKAGES = Object.freeze({
  awskms: { packageName: '@certus-trust/kms-aws', sdk: '@aws-sdk/client-kms' },
  gcpkms: { packageName: '@certus-trust/kms-gcp', sdk: '@google-cloud/kms' },
  azurekms: { packageName: '@certus-trust/kms-azure', sdk: '@azure/keyvault-keys @azure/identity' },
  hashivault: { packageName: '@certus-trust/kms-vault', sdk: undefined },
} as const)

/** A scheme of {@link KMS_PROVIDER_PACKAGES}. */
export type KmsScheme = keyof typeof KMS_PROVIDER_PACKAGES

/** Options of `createKeyFromUri` (`certus keygen --kms`). */
export interface CreateKmsKeyOptions extends KmsProviderOptions {
  /** The key to create. Each service supports a subset (see its docs page). @default 'ecdsa-p256' */
  algorithm?: KmsKeyAlgorithm
}

/** What every `@certus-trust/kms-*` package exports, so a URI can be resolved without knowing the package. */
export interface KmsProviderModule {
  keyProviderFromUri(uri: string, options?: KmsProviderOptions): KmsKeyProvider
  createKeyFromUri?(uri: string, options?: CreateKmsKeyOptions): Promise<KmsKeyProvider>
}

/** The scheme of a KMS key URI, or undefined when `value` is not one (a file path, PEM text, …). */
export function kmsSchemeOf(value: string): KmsScheme | undefined {
  const match = /^([a-z]+):\/\//.exec(value)
  const scheme = match?.[1]
  return scheme !== undefined && Object.hasOwn(KMS_PROVIDER_PACKAGES, scheme)
    ? (scheme as KmsScheme)
    : undefined
}

/** Options of {@link resolveKeyProvider} and {@link createKmsKey}. */
export interface ResolveKeyProviderOptions {
  /**
   * Loads a provider package by name. Pass `(name) => import(name)` from the application, so the optional
   * packages are found in the application's own dependencies (where they are installed), not in this one's.
   */
  load: (packageName: string) => Promise<unknown>
}

/**
 * Resolves a cosign-style key URI (`awskms://`, `gcpkms://`, `azurekms://`, `hashivault://`) to a key provider by
 * loading the provider package for its scheme.
 *
 * @example
 * const key = await resolveKeyProvider('awskms:///alias/release', { load: (name) => import(name) })
 * const signer = createSigner({ key, witness: log })
 * @throws KmsError `KMS_INVALID_URI`, `KMS_PROVIDER_NOT_INSTALLED` (the message has the install command)
 */
export async function resolveKeyProvider(
  uri: string,
  options: ResolveKeyProviderOptions & KmsProviderOptions,
): Promise<KmsKeyProvider> {
  const { load, ...providerOptions } = options
  const module = await loadProvider(uri, load)
  return module.keyProviderFromUri(uri, providerOptions)
}

/**
 * Creates a key in the service the URI names (AWS CreateKey + alias, GCP CreateCryptoKey, Azure createKey,
 * Vault transit create) and returns its provider.
 *
 * @throws KmsError `KMS_INVALID_URI`, `KMS_PROVIDER_NOT_INSTALLED`, `KMS_UNSUPPORTED_ALGORITHM`, service errors
 */
export async function createKmsKey(
  uri: string,
  options: ResolveKeyProviderOptions & CreateKmsKeyOptions,
): Promise<KmsKeyProvider> {
  const { load, ...createOptions } = options
  const module = await loadProvider(uri, load)
  if (typeof module.createKeyFromUri !== 'function') {
    throw new KmsError({
      code: 'KMS_INVALID_URI',
      message: `${schemeOrThrow(uri)}:// keys cannot be created here`,
    })
  }
  return module.createKeyFromUri(uri, createOptions)
}

function schemeOrThrow(uri: string): KmsScheme {
  const scheme = typeof uri === 'string' ? kmsSchemeOf(uri) : undefined
  if (!scheme) {
    throw new KmsError({
      code: 'KMS_INVALID_URI',
      message: `not a KMS key URI: expected ${Object.keys(KMS_PROVIDER_PACKAGES)
        .map((name) => `${name}://`)
        .join(', ')}`,
    })
  }
  return scheme
}

async function loadProvider(
  uri: string,
  load: ResolveKeyProviderOptions['load'],
): Promise<KmsProviderModule> {
  const scheme = schemeOrThrow(uri)
  const { packageName, sdk } = KMS_PROVIDER_PACKAGES[scheme]
  let module: unknown
  try {
    module = await load(packageName)
  } catch (error) {
    if (!isModuleNotFound(error)) throw error
    throw new KmsError({
      code: 'KMS_PROVIDER_NOT_INSTALLED',
      message: `${scheme}:// keys need ${packageName}: npm install ${packageName}${sdk ? ` ${sdk}` : ''}`,
      cause: error,
      details: { packageName },
    })
  }
  const candidate = module as Partial<KmsProviderModule>
  if (typeof candidate?.keyProviderFromUri !== 'function') {
    throw new KmsError({
      code: 'KMS_PROVIDER_NOT_INSTALLED',
      message: `${packageName} does not export keyProviderFromUri(): install a matching version`,
      details: { packageName },
    })
  }
  return candidate as KmsProviderModule
}

/** @internal Node's "cannot find package" errors (ESM and CJS). */
export function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
}
