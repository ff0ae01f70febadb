import { createPublicKey, type JsonWebKey as NodeJsonWebKey } from 'node:crypto'
import type { TokenCredential } from '@azure/core-auth'
import type { KeyClient, KeyClientOptions, KeyVaultKey } from '@azure/keyvault-keys'
import {
  type CreateKmsKeyOptions,
  createRemoteKeyProvider,
  ecdsaP1363ToDer,
  KmsError,
  type KmsKeyAlgorithm,
  type KmsKeyProvider,
  type KmsProviderOptions,
  retryOptionsOf,
  sha256DigestForP384,
  withRetry,
} from '@certus-trust/kms'
import { classifyAzureError } from './errors.js'
import { type AzureKeyUri, parseAzureKeyUri } from './key-uri.js'

/** Options of {@link keyProviderFromUri} and {@link createKeyFromUri}. */
export interface AzureKeyProviderOptions extends KmsProviderOptions {
  /**
   * The credential. @default `new DefaultAzureCredential()` from `@azure/identity` (environment, workload identity,
   * managed identity, Azure CLI), which must then be installed
   */
  credential?: TokenCredential
  /** Extra options of the Key Vault clients (`tlsOptions`, `proxyOptions`, `serviceVersion`, …). */
  clientOptions?: KeyClientOptions
  /** What an RSA key signs with: `RS256` or `PS256`. @default 'pkcs1v15' */
  rsaScheme?: 'pkcs1v15' | 'pss'
}

type KeysModule = typeof import('@azure/keyvault-keys')

// JWA algorithm per scheme; P-384 signs the zero-padded SHA-256 digest as "ES384" (see sha256DigestForP384).
const JWA: Record<Exclude<KmsKeyAlgorithm, 'ed25519'>, string> = {
  'ecdsa-p256': 'ES256',
  'ecdsa-p384': 'ES384',
  'rsa-pkcs1v15': 'RS256',
  'rsa-pss': 'PS256',
}

/**
 * A key provider for an Azure Key Vault (or Managed HSM) key: reads the key once (its JWK, version pinned), then
 * signs SHA-256 digests remotely (ES256, ES384, RS256, PS256). Uses the official `@azure/keyvault-keys` (an optional
 * peer dependency). Key Vault has no Ed25519 keys.
 *
 * @example
 * const key = keyProviderFromUri('azurekms://release-vault.vault.azure.net/signing')
 */
export function keyProviderFromUri(uri: string, options: AzureKeyProviderOptions = {}): KmsKeyProvider {
  return providerFor(parseAzureKeyUri(uri), options)
}

function providerFor(parsed: AzureKeyUri, options: AzureKeyProviderOptions): KmsKeyProvider {
  const keyName = `azurekms key ${parsed.keyName}`
  let clients: Promise<Clients> | undefined
  const connect = () => {
    clients ??= clientsFor(parsed, options)
    return clients
  }
  let vaultKey: KeyVaultKey | undefined
  let cryptography: InstanceType<KeysModule['CryptographyClient']> | undefined
  return createRemoteKeyProvider(
    {
      keyName,
      async describe(signal) {
        const { keyClient } = await connect()
        const key = await keyClient.getKey(parsed.keyName, {
          ...(parsed.version ? { version: parsed.version } : {}),
          abortSignal: signal,
        })
        if (key.properties.enabled === false) {
          throw new KmsError({ code: 'KMS_KEY_DISABLED', message: `${keyName} is disabled` })
        }
        if (key.keyOperations && !key.keyOperations.includes('sign')) {
          throw new KmsError({
            code: 'KMS_UNSUPPORTED_ALGORITHM',
            message: `${keyName} does not allow the sign operation`,
          })
        }
        vaultKey = key
        cryptography = undefined
        return { publicKey: spkiOf(key, keyName), algorithm: algorithmOf(key, keyName, options.rsaScheme) }
      },
      async signDigest(digest, key, signal) {
        const { sdk, credential, clientOptions } = await connect()
        const algorithm = key.algorithm as Exclude<KmsKeyAlgorithm, 'ed25519'>
        // Built from the key read above (its id names the version): pinned, and no second read of the key.
        cryptography ??= new sdk.CryptographyClient(vaultKey!, credential, clientOptions)
        const result = await cryptography.sign(
          JWA[algorithm] as never,
          algorithm === 'ecdsa-p384' ? sha256DigestForP384(digest) : digest,
          { abortSignal: signal },
        )
        if (!result.result?.length) {
          throw new KmsError({
            code: 'KMS_RESPONSE_INVALID',
            message: `Key Vault returned no signature for ${keyName}`,
          })
        }
        // JWS ECDSA signatures are r||s; bundles carry DER.
        if (algorithm === 'ecdsa-p256' || algorithm === 'ecdsa-p384') {
          return ecdsaP1363ToDer(result.result, algorithm === 'ecdsa-p256' ? 256 : 384)
        }
        return result.result
      },
      classifyError: (error, timedOut) => classifyAzureError(parsed.keyName, 'using', error, timedOut),
    },
    options,
  )
}

interface Clients {
  sdk: KeysModule
  keyClient: KeyClient
  credential: TokenCredential
  clientOptions: KeyClientOptions
}

async function clientsFor(parsed: AzureKeyUri, options: AzureKeyProviderOptions): Promise<Clients> {
  let sdk: KeysModule
  try {
    sdk = await import('@azure/keyvault-keys')
  } catch (error) {
    throw new KmsError({
      code: 'KMS_PROVIDER_NOT_INSTALLED',
      message: 'azurekms:// keys need the Azure SDK: npm install @azure/keyvault-keys @azure/identity',
      cause: error,
    })
  }
  const credential = options.credential ?? (await defaultCredential())
  // Our retries (typed, with backoff) replace the SDK's.
  const clientOptions: KeyClientOptions = { retryOptions: { maxRetries: 0 }, ...options.clientOptions }
  return {
    sdk,
    credential,
    clientOptions,
    keyClient: new sdk.KeyClient(parsed.vaultUrl, credential, clientOptions),
  }
}

async function defaultCredential(): Promise<TokenCredential> {
  // Named through a variable: @azure/identity is optional and only needed without an explicit credential.
  const name = '@azure/identity'
  try {
    const identity = (await import(name)) as { DefaultAzureCredential: new () => TokenCredential }
    return new identity.DefaultAzureCredential()
  } catch (error) {
    throw new KmsError({
      code: 'KMS_PROVIDER_NOT_INSTALLED',
      message: 'azurekms:// keys need Azure credentials: npm install @azure/identity (or pass a credential)',
      cause: error,
    })
  }
}

function algorithmOf(
  key: KeyVaultKey,
  keyName: string,
  rsaScheme: AzureKeyProviderOptions['rsaScheme'],
): KmsKeyAlgorithm {
  const type = key.keyType ?? key.key?.kty
  const curve = key.key?.crv
  if ((type === 'EC' || type === 'EC-HSM') && curve === 'P-256') return 'ecdsa-p256'
  if ((type === 'EC' || type === 'EC-HSM') && curve === 'P-384') return 'ecdsa-p384'
  if (type === 'RSA' || type === 'RSA-HSM') return rsaScheme === 'pss' ? 'rsa-pss' : 'rsa-pkcs1v15'
  throw new KmsError({
    code: 'KMS_UNSUPPORTED_ALGORITHM',
    message: `${keyName} is a ${type ?? 'unknown'} ${curve ?? ''} key: use EC P-256, EC P-384 or RSA`.replace(
      / +/g,
      ' ',
    ),
    details: { keyType: type, curve },
  })
}

/** The key's JWK (bytes fields) as an SPKI DER. */
function spkiOf(key: KeyVaultKey, keyName: string): Uint8Array {
  const jwk = key.key
  const b64 = (bytes: Uint8Array | undefined) =>
    bytes ? Buffer.from(bytes).toString('base64url') : undefined
  const nodeJwk: NodeJsonWebKey = jwk?.kty?.startsWith('EC')
    ? { kty: 'EC', crv: jwk.crv, x: b64(jwk.x), y: b64(jwk.y) }
    : { kty: 'RSA', n: b64(jwk?.n), e: b64(jwk?.e) }
  try {
    return createPublicKey({ key: nodeJwk, format: 'jwk' }).export({ type: 'spki', format: 'der' })
  } catch (error) {
    throw new KmsError({
      code: 'KMS_RESPONSE_INVALID',
      message: `Key Vault returned an unusable key for ${keyName}`,
      cause: error,
    })
  }
}

/**
 * Creates a key (`EC` P-256/P-384, or `RSA` 3072, with `sign`/`verify` operations) named by the URI and returns its
 * provider. Ed25519 is refused: Key Vault has no such keys.
 * @throws KmsError `KMS_UNSUPPORTED_ALGORITHM`, `KMS_INVALID_INPUT` (exists), service errors
 */
export async function createKeyFromUri(
  uri: string,
  options: AzureKeyProviderOptions & CreateKmsKeyOptions = {},
): Promise<KmsKeyProvider> {
  const parsed = parseAzureKeyUri(uri)
  const algorithm = options.algorithm ?? 'ecdsa-p256'
  if (algorithm === 'ed25519') {
    throw new KmsError({ code: 'KMS_UNSUPPORTED_ALGORITHM', message: 'Azure Key Vault has no Ed25519 keys' })
  }
  const { keyClient } = await clientsFor(parsed, options)
  const name = parsed.keyName
  const existing = await withRetry(
    (signal) => keyClient.getKey(name, { abortSignal: signal }),
    (error, timedOut) => classifyAzureError(name, 'looking up', error, timedOut),
    retryOptionsOf(options),
  ).then(
    () => true,
    (error: unknown) => {
      if (KmsError.is(error, 'KMS_NOT_FOUND')) return false
      throw error
    },
  )
  // createKey on an existing name adds a version: refuse, so a typo never rotates a production key.
  if (existing)
    throw new KmsError({ code: 'KMS_INVALID_INPUT', message: `Key Vault key ${name} already exists` })
  await withRetry(
    (signal) =>
      algorithm === 'rsa-pkcs1v15' || algorithm === 'rsa-pss'
        ? keyClient.createRsaKey(name, { keySize: 3072, keyOps: ['sign', 'verify'], abortSignal: signal })
        : keyClient.createEcKey(name, {
            curve: algorithm === 'ecdsa-p384' ? 'P-384' : 'P-256',
            keyOps: ['sign', 'verify'],
            abortSignal: signal,
          }),
    (error, timedOut) => classifyAzureError(name, 'creating', error, timedOut),
    retryOptionsOf(options),
  )
  return providerFor(parsed, {
    ...options,
    ...(algorithm === 'rsa-pss' ? { rsaScheme: 'pss' as const } : {}),
  })
}
