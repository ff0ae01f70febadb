import { sign as nodeSign } from 'node:crypto'
import { ecPrivateScalar, signEcdsaDigest, signRsaDigest } from '@certus-trust/core/signing'
import { SignerError } from './errors.js'
import {
  describeKey,
  type KeyInfo,
  type LoadPrivateKeyOptions,
  loadPrivateKey,
  type PrivateKeyInput,
} from './keys.js'
import type { SigningThreads } from './signing-threads.js'

/**
 * Anything that holds a signing key: the local-key provider below, or a KMS/HSM adapter.
 *
 * Signatures use SHA-256 for ECDSA (both curves) and RSA; Ed25519 is pure Ed25519 over the data.
 * ECDSA signatures are ASN.1 DER.
 */
export interface KeyProvider {
  /** The public key as PEM SubjectPublicKeyInfo. */
  publicKey(): Promise<string> | string
  /** Signs `data` (the artifact bytes or the DSSE PAE). */
  sign(data: Uint8Array): Promise<Uint8Array>
  /**
   * Signs a precomputed SHA-256 digest of the message (ECDSA and RSA only). Needed to sign a file hashed as a stream,
   * or a bare `sha256:` digest. Providers without it can only sign artifacts given as bytes.
   */
  signDigest?(digest: Uint8Array, hashAlgorithm: 'sha256'): Promise<Uint8Array>
  /** The bundle's `publicKey.hint`. @default hex SHA-256 of the DER public key */
  keyHint?: string
}

/** Options of {@link createLocalKeyProvider}. */
export interface LocalKeyProviderOptions extends LoadPrivateKeyOptions {
  /** Overrides the bundle's `publicKey.hint`. @default hex SHA-256 of the DER public key */
  keyHint?: string
  /**
   * Sign bare ECDSA digests on these worker threads instead of the calling thread (same signatures), so a busy
   * process spreads signing over its cores. The caller owns and closes the pool. @default none: sign inline
   */
  signingThreads?: SigningThreads
}

/** A {@link KeyProvider} over a key held in this process; also exposes the key's {@link KeyInfo}. */
export interface LocalKeyProvider extends KeyProvider {
  readonly info: KeyInfo
  signDigest(digest: Uint8Array, hashAlgorithm: 'sha256'): Promise<Uint8Array>
}

const localProviders = new WeakSet<object>()

/** @internal True for providers made by {@link createLocalKeyProvider} (their signatures need no self-check). */
export function isLocalKeyProvider(provider: unknown): provider is LocalKeyProvider {
  return typeof provider === 'object' && provider !== null && localProviders.has(provider)
}

// DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1).
/**
 * A {@link KeyProvider} for a private key in memory (PEM, encrypted PEM, JWK or KeyObject).
 * Signing runs on OpenSSL (node:crypto) when the message is at hand; bare ECDSA digests use OpenSSL for the
 * scalar multiplication and a few field operations around it (core's `signEcdsaDigest`: node cannot sign a
 * prehashed ECDSA input), RSA digests use core's `signRsaDigest` (PKCS#1 v1.5 / PSS encoding, raw RSA in OpenSSL).
 *
 * @example
 * const provider = createLocalKeyProvider(await readFile('signing.pem', 'utf8'), { passphrase })
 * @throws SignerError codes of `loadPrivateKey` (`SIGNER_WRONG_PASSPHRASE`, `SIGNER_WEAK_KEY`, …)
 */
export function createLocalKeyProvider(
  key: PrivateKeyInput,
  options: LocalKeyProviderOptions = {},
): LocalKeyProvider {
  const privateKey = loadPrivateKey(key, options)
  const info = describeKey(privateKey)

  const signMessage = async (data: Uint8Array): Promise<Uint8Array> => {
    try {
      // null lets node pick pure Ed25519; EC and RSA(-PSS) use SHA-256, the hash @sigstore/verify assumes.
      return new Uint8Array(nodeSign(info.algorithm === 'ed25519' ? null : 'sha256', data, privateKey))
    } catch (error) {
      throw new SignerError({
        code: 'SIGNER_SIGNING_FAILED',
        message: `signing with the ${info.algorithm} key failed`,
        cause: error,
      })
    }
  }

  const signDigest = async (digest: Uint8Array, hashAlgorithm: 'sha256'): Promise<Uint8Array> => {
    if (hashAlgorithm !== 'sha256' || !(digest instanceof Uint8Array) || digest.length !== 32) {
      throw new SignerError({ code: 'SIGNER_INVALID_DIGEST', message: 'expected a 32-byte SHA-256 digest' })
    }
    switch (info.algorithm) {
      case 'ecdsa-p256':
      case 'ecdsa-p384': {
        const scalar = ecPrivateScalar(privateKey)
        return options.signingThreads
          ? options.signingThreads.signEcdsaDigest(info.algorithm, scalar, digest)
          : signEcdsaDigest(info.algorithm, scalar, digest)
      }
      case 'rsa-pkcs1v15':
        return signRsa(() => signRsaDigest(privateKey, 'sha256', digest))
      case 'rsa-pss':
        return signRsa(() =>
          signRsaDigest(privateKey, 'sha256', digest, { pss: { saltLength: info.pssSaltLength ?? 32 } }),
        )
      case 'ed25519':
        throw new SignerError({
          code: 'SIGNER_DIGEST_ONLY_UNSUPPORTED',
          message:
            'Ed25519 signs the artifact itself, not a digest: pass the artifact bytes, a stream or a path, or use an ECDSA/RSA key',
        })
    }
  }

  const provider: LocalKeyProvider = {
    info,
    keyHint: options.keyHint ?? info.keyId,
    publicKey: () => info.publicKeyPem,
    sign: signMessage,
    signDigest,
  }
  localProviders.add(provider)
  return provider
}

function signRsa(run: () => Uint8Array): Uint8Array {
  try {
    return run()
  } catch (error) {
    throw new SignerError({
      code: 'SIGNER_SIGNING_FAILED',
      message: 'RSA signing over the digest failed',
      cause: error,
    })
  }
}
