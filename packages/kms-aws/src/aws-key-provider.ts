import type { KMSClient, KMSClientConfig } from '@aws-sdk/client-kms'
import {
  type CreateKmsKeyOptions,
  createRemoteKeyProvider,
  KmsError,
  type KmsKeyAlgorithm,
  type KmsKeyInfo,
  type KmsKeyProvider,
  type KmsProviderOptions,
  type RemoteKeyBackend,
  retryOptionsOf,
  sha256DigestForP384,
  withRetry,
} from '@certus-trust/kms'
import { classifyAwsError } from './errors.js'
import { type AwsKeyUri, endpointUrl, parseAwsKeyUri } from './key-uri.js'

/** Options of {@link createAwsKeyProvider} and {@link keyProviderFromUri}. */
export interface AwsKeyProviderOptions extends KmsProviderOptions {
  /** A ready client (its region, credentials and endpoint win over the URI's). @default a new `KMSClient` */
  client?: KMSClient
  /**
   * Extra configuration for the `KMSClient` we create (credentials, region, endpoint, requestHandler). Unset fields
   * follow the SDK's own discovery (environment, shared profile, container/instance role).
   */
  clientConfig?: KMSClientConfig
  /** Which scheme an RSA key signs with (KMS RSA keys can do both). @default 'pkcs1v15' */
  rsaScheme?: 'pkcs1v15' | 'pss'
}

type KmsSdk = typeof import('@aws-sdk/client-kms')

const SIGNING_ALGORITHM: Record<Exclude<KmsKeyAlgorithm, 'ed25519'>, string> = {
  'ecdsa-p256': 'ECDSA_SHA_256',
  // P-384 keys only sign with ECDSA_SHA_384: we hand KMS the zero-padded SHA-256 digest (see sha256DigestForP384).
  'ecdsa-p384': 'ECDSA_SHA_384',
  'rsa-pkcs1v15': 'RSASSA_PKCS1_V1_5_SHA_256',
  'rsa-pss': 'RSASSA_PSS_SHA_256',
}

/**
 * A key provider for an AWS KMS asymmetric `SIGN_VERIFY` key: GetPublicKey once, then Sign with
 * `MessageType: 'DIGEST'` (ECDSA, RSA PKCS#1 v1.5 / PSS) or `'RAW'` (Ed25519, `ED25519_SHA_512`).
 * Needs `@aws-sdk/client-kms` (an optional peer dependency) unless `client` is given.
 *
 * @example
 * const key = createAwsKeyProvider({ keyId: 'alias/release-signing', clientConfig: { region: 'eu-west-1' } })
 * const signer = createSigner({ key, witness: log })
 */
export function createAwsKeyProvider(options: AwsKeyProviderOptions & { keyId: string }): KmsKeyProvider {
  const { keyId, ...rest } = options
  return providerFor({ keyId }, rest)
}

/**
 * A key provider for cosign's `awskms://[ENDPOINT]/KEY_ID_OR_ALIAS` URI (`awskms:///alias/release`,
 * `awskms:///arn:aws:kms:…`, `awskms://localhost:4566/alias/dev`).
 * @throws KmsError `KMS_INVALID_URI`
 */
export function keyProviderFromUri(uri: string, options: AwsKeyProviderOptions = {}): KmsKeyProvider {
  return providerFor(parseAwsKeyUri(uri), options)
}

/**
 * Creates a KMS `SIGN_VERIFY` key and names it with the URI's alias (`awskms:///alias/NAME`), then returns its
 * provider. Algorithms: ecdsa-p256 (`ECC_NIST_P256`), ecdsa-p384, rsa-pkcs1v15 / rsa-pss (`RSA_3072`), ed25519
 * (`ECC_NIST_EDWARDS25519`).
 * @throws KmsError `KMS_INVALID_URI` (no alias), `KMS_INVALID_INPUT` (alias taken), service errors
 */
export async function createKeyFromUri(
  uri: string,
  options: AwsKeyProviderOptions & CreateKmsKeyOptions = {},
): Promise<KmsKeyProvider> {
  const parsed = parseAwsKeyUri(uri)
  if (!parsed.keyId.startsWith('alias/')) {
    throw new KmsError({
      code: 'KMS_INVALID_URI',
      message: 'name the new key with an alias: awskms://[ENDPOINT]/alias/NAME',
    })
  }
  const algorithm = options.algorithm ?? 'ecdsa-p256'
  const keySpec = {
    'ecdsa-p256': 'ECC_NIST_P256',
    'ecdsa-p384': 'ECC_NIST_P384',
    'rsa-pkcs1v15': 'RSA_3072',
    'rsa-pss': 'RSA_3072',
    ed25519: 'ECC_NIST_EDWARDS25519',
  }[algorithm]
  if (!keySpec) {
    throw new KmsError({
      code: 'KMS_UNSUPPORTED_ALGORITHM',
      message: `cannot create a ${String(algorithm)} key`,
    })
  }
  const { client, sdk } = await clientFor(parsed, options)
  const retry = retryOptionsOf(options)
  const classify = (what: string) => (error: unknown, timedOut: boolean) =>
    classifyAwsError(parsed.keyId, what, error, timedOut)
  const created = await withRetry(
    (signal) =>
      client.send(
        new sdk.CreateKeyCommand({
          KeySpec: keySpec as never,
          KeyUsage: 'SIGN_VERIFY',
          Description: `certus signing key (${parsed.keyId})`,
        }),
        { abortSignal: signal },
      ),
    classify('creating'),
    retry,
  )
  const targetKeyId = created.KeyMetadata?.KeyId
  if (!targetKeyId) {
    throw new KmsError({ code: 'KMS_RESPONSE_INVALID', message: 'CreateKey returned no key id' })
  }
  await withRetry(
    (signal) =>
      client.send(new sdk.CreateAliasCommand({ AliasName: parsed.keyId, TargetKeyId: targetKeyId }), {
        abortSignal: signal,
      }),
    classify('naming'),
    retry,
  )
  return providerFor(parsed, {
    ...options,
    client,
    ...(algorithm === 'rsa-pss' ? { rsaScheme: 'pss' as const } : {}),
  })
}

function providerFor(parsed: AwsKeyUri, options: AwsKeyProviderOptions): KmsKeyProvider {
  let connection: Promise<{ client: KMSClient; sdk: KmsSdk }> | undefined
  const connect = () => {
    connection ??= clientFor(parsed, options)
    return connection
  }
  const keyName = `awskms key ${parsed.keyId}`
  const backend: RemoteKeyBackend = {
    keyName,
    async describe(signal) {
      const { client, sdk } = await connect()
      const response = await client.send(new sdk.GetPublicKeyCommand({ KeyId: parsed.keyId }), {
        abortSignal: signal,
      })
      if (response.KeyUsage !== undefined && response.KeyUsage !== 'SIGN_VERIFY') {
        throw new KmsError({
          code: 'KMS_UNSUPPORTED_ALGORITHM',
          message: `${keyName} is a ${response.KeyUsage} key, not SIGN_VERIFY`,
        })
      }
      if (!response.PublicKey) {
        throw new KmsError({
          code: 'KMS_RESPONSE_INVALID',
          message: `GetPublicKey returned no key for ${keyName}`,
        })
      }
      return {
        publicKey: response.PublicKey,
        algorithm: algorithmOf(keyName, response.KeySpec, response.SigningAlgorithms, options.rsaScheme),
      }
    },
    async signDigest(digest, key, signal) {
      const algorithm = key.algorithm as Exclude<KmsKeyAlgorithm, 'ed25519'>
      return sign(
        algorithm === 'ecdsa-p384' ? sha256DigestForP384(digest) : digest,
        'DIGEST',
        SIGNING_ALGORITHM[algorithm],
        signal,
      )
    },
    async signMessage(message, _key: KmsKeyInfo, signal) {
      if (message.length > 4096) {
        throw new KmsError({
          code: 'KMS_INVALID_INPUT',
          message: `${keyName}: KMS signs Ed25519 messages of at most 4096 bytes (this one has ${message.length})`,
        })
      }
      return sign(message, 'RAW', 'ED25519_SHA_512', signal)
    },
    classifyError: (error, timedOut) => classifyAwsError(parsed.keyId, 'using', error, timedOut),
  }
  const sign = async (message: Uint8Array, messageType: string, algorithm: string, signal: AbortSignal) => {
    const { client, sdk } = await connect()
    const response = await client.send(
      new sdk.SignCommand({
        KeyId: parsed.keyId,
        Message: message,
        MessageType: messageType as never,
        SigningAlgorithm: algorithm as never,
      }),
      { abortSignal: signal },
    )
    if (!response.Signature?.length) {
      throw new KmsError({
        code: 'KMS_RESPONSE_INVALID',
        message: `Sign returned no signature for ${keyName}`,
      })
    }
    return response.Signature
  }
  return createRemoteKeyProvider(backend, options)
}

function algorithmOf(
  keyName: string,
  keySpec: string | undefined,
  signingAlgorithms: string[] | undefined,
  rsaScheme: AwsKeyProviderOptions['rsaScheme'],
): KmsKeyAlgorithm {
  const can = (name: string) => signingAlgorithms === undefined || signingAlgorithms.includes(name)
  const unsupported = () =>
    new KmsError({
      code: 'KMS_UNSUPPORTED_ALGORITHM',
      message: `${keyName} has key spec ${keySpec ?? 'unknown'}: use ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_EDWARDS25519 or RSA_2048/3072/4096`,
      details: { keySpec },
    })
  switch (keySpec) {
    case 'ECC_NIST_P256':
      return 'ecdsa-p256'
    case 'ECC_NIST_P384':
      return 'ecdsa-p384'
    case 'ECC_NIST_EDWARDS25519':
      if (!can('ED25519_SHA_512')) throw unsupported()
      return 'ed25519'
    case 'RSA_2048':
    case 'RSA_3072':
    case 'RSA_4096': {
      const scheme = rsaScheme ?? 'pkcs1v15'
      if (!can(scheme === 'pss' ? 'RSASSA_PSS_SHA_256' : 'RSASSA_PKCS1_V1_5_SHA_256')) throw unsupported()
      return scheme === 'pss' ? 'rsa-pss' : 'rsa-pkcs1v15'
    }
    default:
      throw unsupported()
  }
}

async function clientFor(
  parsed: AwsKeyUri,
  options: AwsKeyProviderOptions,
): Promise<{ client: KMSClient; sdk: KmsSdk }> {
  const sdk = await loadSdk()
  if (options.client) return { client: options.client, sdk }
  const client = new sdk.KMSClient({
    ...(parsed.region ? { region: parsed.region } : {}),
    ...(parsed.endpoint ? { endpoint: endpointUrl(parsed.endpoint) } : {}),
    // Throttling is retried by us with our backoff and typed errors; one attempt per call here.
    maxAttempts: 1,
    ...options.clientConfig,
  })
  return { client, sdk }
}

async function loadSdk(): Promise<KmsSdk> {
  try {
    return await import('@aws-sdk/client-kms')
  } catch (error) {
    throw new KmsError({
      code: 'KMS_PROVIDER_NOT_INSTALLED',
      message: 'awskms:// keys need the AWS SDK: npm install @aws-sdk/client-kms',
      cause: error,
    })
  }
}
