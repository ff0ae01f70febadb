import { createHash } from 'node:crypto'
import { KmsError } from './errors.js'
import { describeKmsPublicKey, type KmsKeyAlgorithm, type KmsKeyInfo } from './public-key.js'
import { type RetryOptions, retryOptionsOf, withRetry } from './retry.js'

/** What a service reports about a key: its public key (DER or PEM SPKI) and the scheme it signs with. */
export interface RemoteKeyDescription {
  publicKey: string | Uint8Array
  algorithm: KmsKeyAlgorithm
}

/**
 * The service-specific half of a KMS provider: two or three calls, each given an `AbortSignal` that carries the
 * timeout, plus the mapping of the vendor's errors to {@link KmsError} codes.
 */
export interface RemoteKeyBackend {
  /** Human-readable key name for messages (never a credential). */
  readonly keyName: string
  /** Fetches the public key and scheme (called once; the provider caches it). */
  describe(signal: AbortSignal): Promise<RemoteKeyDescription>
  /** Signs a 32-byte SHA-256 digest with an ECDSA or RSA key; ECDSA signatures come back as DER. */
  signDigest(digest: Uint8Array, key: KmsKeyInfo, signal: AbortSignal): Promise<Uint8Array>
  /** Signs the message itself (Ed25519). Absent when the service has no Ed25519 keys. */
  signMessage?(message: Uint8Array, key: KmsKeyInfo, signal: AbortSignal): Promise<Uint8Array>
  /** Maps a vendor SDK / HTTP error to a typed error. `timedOut` is true when our per-call timeout fired. */
  classifyError(error: unknown, timedOut: boolean): KmsError
}

/** Options every KMS provider takes. */
export interface KmsProviderOptions extends RetryOptions {
  /** Overrides the bundle's `publicKey.hint`. @default hex SHA-256 of the DER public key */
  keyHint?: string
}

/**
 * A `KeyProvider` (of `@certus-trust/signer`) whose key lives in a KMS: structurally the same interface, so the
 * signer takes it as `key`, plus {@link KmsKeyProvider.describe} for the key's algorithm and Sigstore key details.
 */
export interface KmsKeyProvider {
  /** The PEM SubjectPublicKeyInfo (fetched once, then cached). */
  publicKey(): Promise<string>
  /** Signs `data`: ECDSA/RSA send only its SHA-256 digest to the service; Ed25519 sends the message. */
  sign(data: Uint8Array): Promise<Uint8Array>
  /** Signs a SHA-256 digest (ECDSA and RSA keys). */
  signDigest(digest: Uint8Array, hashAlgorithm: 'sha256'): Promise<Uint8Array>
  /** The key's algorithm, key details and PEM (fetched once, then cached). */
  describe(): Promise<KmsKeyInfo>
  /** The bundle's `publicKey.hint` when the caller set one. */
  readonly keyHint?: string
  /** The key URI or name it was created from (for messages and logs). */
  readonly keyName: string
}

/**
 * Builds a {@link KmsKeyProvider} from a service backend: caches the public key, bounds each call with a timeout,
 * retries throttled calls with backoff, and refuses schemes the key cannot do (a digest for Ed25519, …).
 * The signer checks every returned signature against the public key before it is used.
 */
export function createRemoteKeyProvider(
  backend: RemoteKeyBackend,
  options: KmsProviderOptions = {},
): KmsKeyProvider {
  const retry = retryOptionsOf(options)
  const call = <T>(attempt: (signal: AbortSignal) => Promise<T>) =>
    withRetry(attempt, (error, timedOut) => backend.classifyError(error, timedOut), retry)
  let cached: Promise<KmsKeyInfo> | undefined
  const describe = (): Promise<KmsKeyInfo> => {
    // A failed lookup is not cached: the next call asks again (the key may have been enabled meanwhile).
    cached ??= call(async (signal) => {
      const description = await backend.describe(signal)
      return describeKmsPublicKey(description.publicKey, description.algorithm)
    }).catch((error: unknown) => {
      cached = undefined
      throw error
    })
    return cached
  }
  const signDigest = async (digest: Uint8Array, hashAlgorithm: 'sha256'): Promise<Uint8Array> => {
    if (hashAlgorithm !== 'sha256' || !(digest instanceof Uint8Array) || digest.length !== 32) {
      throw new KmsError({ code: 'KMS_INVALID_INPUT', message: 'expected a 32-byte SHA-256 digest' })
    }
    const key = await describe()
    if (key.algorithm === 'ed25519') {
      throw new KmsError({
        code: 'KMS_UNSUPPORTED_ALGORITHM',
        message: `${backend.keyName} is an Ed25519 key: it signs the message itself, not a digest`,
      })
    }
    return call((signal) => backend.signDigest(digest, key, signal))
  }
  const sign = async (data: Uint8Array): Promise<Uint8Array> => {
    const key = await describe()
    if (key.algorithm !== 'ed25519') return signDigest(createHash('sha256').update(data).digest(), 'sha256')
    const signMessage = backend.signMessage
    if (!signMessage) {
      throw new KmsError({
        code: 'KMS_UNSUPPORTED_ALGORITHM',
        message: `${backend.keyName}: this service cannot sign with Ed25519 keys`,
      })
    }
    return call((signal) => signMessage.call(backend, data, key, signal))
  }
  return {
    keyName: backend.keyName,
    ...(options.keyHint === undefined ? {} : { keyHint: options.keyHint }),
    publicKey: async () => (await describe()).publicKeyPem,
    describe,
    sign,
    signDigest,
  }
}
