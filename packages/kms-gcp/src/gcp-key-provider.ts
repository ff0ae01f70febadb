import {
  type CreateKmsKeyOptions,
  createRemoteKeyProvider,
  KmsError,
  type KmsKeyAlgorithm,
  type KmsKeyProvider,
  type KmsProviderOptions,
  retryOptionsOf,
  sha256DigestForP384,
  withRetry,
} from '@certus-trust/kms'
import type { KeyManagementServiceClient } from '@google-cloud/kms'
import { endpointOverrideFromEnv } from './endpoint.js'
import { classifyGcpError } from './errors.js'
import { type GcpKeyUri, parseGcpKeyUri } from './key-uri.js'

type ClientOptions = NonNullable<ConstructorParameters<typeof KeyManagementServiceClient>[0]>

/** Options of {@link keyProviderFromUri} and {@link createKeyFromUri}. */
export interface GcpKeyProviderOptions extends KmsProviderOptions {
  /** A ready client (its transport and credentials win). @default a new REST (`fallback: true`) client */
  client?: KeyManagementServiceClient
  /**
   * Extra options of the client we create (`apiEndpoint`, `port`, `protocol`, `authClient`, `keyFilename`, …).
   * Unset credentials follow Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, metadata server).
   */
  clientOptions?: ClientOptions
}

// Cloud KMS signing algorithms we sign with, and how the digest is passed.
const ALGORITHMS: Record<string, KmsKeyAlgorithm> = {
  EC_SIGN_P256_SHA256: 'ecdsa-p256',
  EC_SIGN_P384_SHA384: 'ecdsa-p384',
  EC_SIGN_ED25519: 'ed25519',
  RSA_SIGN_PKCS1_2048_SHA256: 'rsa-pkcs1v15',
  RSA_SIGN_PKCS1_3072_SHA256: 'rsa-pkcs1v15',
  RSA_SIGN_PKCS1_4096_SHA256: 'rsa-pkcs1v15',
  RSA_SIGN_PSS_2048_SHA256: 'rsa-pss',
  RSA_SIGN_PSS_3072_SHA256: 'rsa-pss',
  RSA_SIGN_PSS_4096_SHA256: 'rsa-pss',
}

const CREATE_ALGORITHM: Record<KmsKeyAlgorithm, string> = {
  'ecdsa-p256': 'EC_SIGN_P256_SHA256',
  'ecdsa-p384': 'EC_SIGN_P384_SHA384',
  ed25519: 'EC_SIGN_ED25519',
  'rsa-pkcs1v15': 'RSA_SIGN_PKCS1_3072_SHA256',
  'rsa-pss': 'RSA_SIGN_PSS_3072_SHA256',
}

type KmsModule = typeof import('@google-cloud/kms')

/**
 * A key provider for a Cloud KMS `ASYMMETRIC_SIGN` key version: GetPublicKey once, then AsymmetricSign with the
 * digest (ECDSA, RSA PKCS#1 v1.5 / PSS) or the data (Ed25519). Uses the official `@google-cloud/kms` client over
 * its REST transport (an optional peer dependency) unless `client` is given.
 *
 * @example
 * const key = keyProviderFromUri('gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/release/cryptoKeyVersions/1')
 */
export function keyProviderFromUri(uri: string, options: GcpKeyProviderOptions = {}): KmsKeyProvider {
  return providerFor(parseGcpKeyUri(uri), options)
}

function providerFor(parsed: GcpKeyUri, options: GcpKeyProviderOptions): KmsKeyProvider {
  let connection: Promise<KeyManagementServiceClient> | undefined
  const connect = () => {
    // A failed connection (no credentials yet, network down) is not cached: the next call tries again.
    connection ??= clientFor(options).catch((error: unknown) => {
      connection = undefined
      throw error
    })
    return connection
  }
  const keyName = `gcpkms key ${parsed.cryptoKey}`
  const timeout = options.timeoutMs ?? 10_000
  // gax's own retries are off: throttling is retried once, by us, with typed errors.
  const callOptions = { timeout, maxRetries: 0 }
  let versionName: string | undefined
  return createRemoteKeyProvider(
    {
      keyName,
      async describe(signal) {
        const client = await connect()
        versionName = parsed.version
          ? `${parsed.cryptoKey}/cryptoKeyVersions/${parsed.version}`
          : await newestEnabledVersion(client, parsed, callOptions, signal)
        const [publicKey] = await abortable(client.getPublicKey({ name: versionName }, callOptions), signal)
        const algorithm = ALGORITHMS[String(publicKey.algorithm)]
        if (!algorithm) {
          throw new KmsError({
            code: 'KMS_UNSUPPORTED_ALGORITHM',
            message: `${keyName} signs with ${String(publicKey.algorithm)}: use EC_SIGN_P256_SHA256, EC_SIGN_P384_SHA384, EC_SIGN_ED25519 or RSA_SIGN_PKCS1/PSS_*_SHA256`,
            details: { algorithm: publicKey.algorithm },
          })
        }
        if (!publicKey.pem) {
          throw new KmsError({
            code: 'KMS_RESPONSE_INVALID',
            message: `GetPublicKey returned no key for ${keyName}`,
          })
        }
        return { publicKey: publicKey.pem, algorithm }
      },
      async signDigest(digest, key, signal) {
        const request =
          key.algorithm === 'ecdsa-p384'
            ? { sha384: sha256DigestForP384(digest) } // see sha256DigestForP384: ECDSA-P384 over SHA-256
            : { sha256: digest }
        return sign(await connect(), { name: versionName, digest: request }, signal)
      },
      async signMessage(message, _key, signal) {
        return sign(await connect(), { name: versionName, data: message }, signal)
      },
      classifyError: (error, timedOut) => classifyGcpError(parsed.cryptoKey, 'using', error, timedOut),
    },
    options,
  )

  async function sign(
    client: KeyManagementServiceClient,
    request: Parameters<KeyManagementServiceClient['asymmetricSign']>[0],
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const [response] = await abortable(client.asymmetricSign(request, callOptions), signal)
    const signature = response.signature
    if (!signature || signature.length === 0) {
      throw new KmsError({
        code: 'KMS_RESPONSE_INVALID',
        message: `AsymmetricSign returned no signature for ${keyName}`,
      })
    }
    return typeof signature === 'string' ? Buffer.from(signature, 'base64') : new Uint8Array(signature)
  }
}

/** The highest-numbered ENABLED version of a key (cosign's choice when the URI names no version). */
async function newestEnabledVersion(
  client: KeyManagementServiceClient,
  parsed: GcpKeyUri,
  callOptions: object,
  signal: AbortSignal,
): Promise<string> {
  const [versions] = await abortable(
    client.listCryptoKeyVersions(
      { parent: parsed.cryptoKey, filter: 'state=ENABLED' },
      { ...callOptions, autoPaginate: true },
    ),
    signal,
  )
  const number = (name: string | null | undefined) => Number(name?.split('/').pop() ?? 0)
  const newest = versions
    .filter((version) => String(version.state) === 'ENABLED' || version.state === 1)
    .sort((a, b) => number(b.name) - number(a.name))[0]
  if (!newest?.name) {
    throw new KmsError({
      code: 'KMS_NOT_FOUND',
      message: `gcpkms key ${parsed.cryptoKey} has no enabled version`,
    })
  }
  return newest.name
}

/**
 * Creates an `ASYMMETRIC_SIGN` crypto key named by the URI (`gcpkms://…/keyRings/R/cryptoKeys/K`) in an existing
 * key ring, waits until its first version is generated, and returns the provider for that version.
 * @throws KmsError `KMS_INVALID_INPUT` (exists), `KMS_NOT_FOUND` (no key ring), service errors
 */
export async function createKeyFromUri(
  uri: string,
  options: GcpKeyProviderOptions & CreateKmsKeyOptions = {},
): Promise<KmsKeyProvider> {
  const parsed = parseGcpKeyUri(uri)
  if (parsed.version) {
    throw new KmsError({
      code: 'KMS_INVALID_URI',
      message: 'name the new key without a version: gcpkms://…/cryptoKeys/K',
    })
  }
  const algorithm = CREATE_ALGORITHM[options.algorithm ?? 'ecdsa-p256']
  if (!algorithm) {
    throw new KmsError({
      code: 'KMS_UNSUPPORTED_ALGORITHM',
      message: `cannot create a ${String(options.algorithm)} key`,
    })
  }
  const client = await clientFor(options)
  const timeout = options.timeoutMs ?? 10_000
  await withRetry(
    (signal) =>
      abortable(
        client.createCryptoKey(
          {
            parent: parsed.keyRing,
            cryptoKeyId: parsed.keyId,
            // The client's enum type lists every algorithm name; ours is one of them.
            cryptoKey: { purpose: 'ASYMMETRIC_SIGN', versionTemplate: { algorithm: algorithm as never } },
          },
          { timeout, maxRetries: 0 },
        ),
        signal,
      ),
    (error, timedOut) => classifyGcpError(parsed.cryptoKey, 'creating', error, timedOut),
    retryOptionsOf(options),
  )
  const provider = providerFor({ ...parsed, version: '1' }, { ...options, client })
  // Asymmetric key material is generated asynchronously: the version reports FAILED_PRECONDITION until it is ready.
  for (let attempt = 0; ; attempt++) {
    try {
      await provider.describe()
      return provider
    } catch (error) {
      if (!KmsError.is(error, 'KMS_KEY_DISABLED') || attempt >= 20) throw error
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
}

async function clientFor(options: GcpKeyProviderOptions): Promise<KeyManagementServiceClient> {
  if (options.client) return options.client
  let module: KmsModule
  try {
    module = await import('@google-cloud/kms')
  } catch (error) {
    throw new KmsError({
      code: 'KMS_PROVIDER_NOT_INSTALLED',
      message: 'gcpkms:// keys need the Google Cloud KMS client: npm install @google-cloud/kms',
      cause: error,
    })
  }
  // REST (HTTP/1.1 + JSON) rather than gRPC: one transport everywhere, and what a local stand-in can serve.
  const client = new module.KeyManagementServiceClient({
    fallback: true,
    ...endpointOverrideFromEnv(),
    ...options.clientOptions,
  })
  // Credentials are resolved before the first call: when gax initializes, it makes one promise per RPC method from
  // the credential lookup, and if that lookup fails every promise but the awaited one rejects unobserved — an
  // unhandled rejection that would end the process instead of a typed error.
  // (A ready auth client given in clientOptions has nothing to look up.)
  const auth = client.auth as { getClient?: () => Promise<unknown> }
  if (typeof auth.getClient === 'function') await auth.getClient()
  return client
}

/** Rejects when `signal` fires (gax calls take a timeout but no AbortSignal); the call itself is abandoned. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
