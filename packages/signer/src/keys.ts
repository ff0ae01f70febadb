import { createPrivateKey, createPublicKey, type JsonWebKey, KeyObject } from 'node:crypto'
import type { SigningKeyAlgorithm, SigningKeyDetails } from '@certus-trust/core'
import { publicKeyFingerprint, toHex } from '@certus-trust/core'
import { SignerError } from './errors.js'

/** The signing algorithms we support. ECDSA keys sign with SHA-256 on both curves (see docs/decisions/0010-signer-design.md). */
export type KeyAlgorithm = SigningKeyAlgorithm

/** Sigstore `PublicKeyDetails` names a signing key of ours has (core's one table). */
export type PublicKeyDetails = SigningKeyDetails

/** What we know about a public key: algorithm, size, Sigstore key details and the default bundle hint. */
export interface KeyInfo {
  algorithm: KeyAlgorithm
  /** RSA modulus length in bits, curve size for ECDSA, 256 for Ed25519. */
  bits: number
  keyDetails: PublicKeyDetails
  /** RSA-PSS salt length in bytes (from the key's parameters, else 32). */
  pssSaltLength?: number
  /** PEM-encoded SubjectPublicKeyInfo. */
  publicKeyPem: string
  /** Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo; the default bundle `publicKey.hint`. */
  keyId: string
}

/** The smallest RSA modulus we sign with. */
export const MIN_RSA_BITS = 2048

/** Key material accepted by {@link loadPrivateKey}: PEM text (PKCS#8, SEC1 or PKCS#1, optionally encrypted), a JWK, or a `KeyObject`. */
export type PrivateKeyInput = string | Uint8Array | JsonWebKey | KeyObject

/** Options of {@link loadPrivateKey}. */
export interface LoadPrivateKeyOptions {
  /** Passphrase of an encrypted PEM key. Never logged or echoed in errors. */
  passphrase?: string | Uint8Array
}

/**
 * Parses a private key and checks that we can sign with it (supported algorithm, RSA ≥ 2048 bits).
 *
 * @throws SignerError `SIGNER_WRONG_PASSPHRASE`, `SIGNER_KEY_INVALID`, `SIGNER_UNSUPPORTED_ALGORITHM`, `SIGNER_WEAK_KEY`
 */
export function loadPrivateKey(input: PrivateKeyInput, options: LoadPrivateKeyOptions = {}): KeyObject {
  let key: KeyObject
  if (input instanceof KeyObject) {
    if (input.type !== 'private') {
      throw new SignerError({
        code: 'SIGNER_KEY_INVALID',
        message: 'expected a private KeyObject, got a public or secret key',
      })
    }
    key = input
  } else if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8')
    if (!text.includes('-----BEGIN')) {
      throw new SignerError({
        code: 'SIGNER_KEY_INVALID',
        message: 'expected a PEM private key (-----BEGIN … PRIVATE KEY-----)',
      })
    }
    if (
      /-----BEGIN PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(text) &&
      !/PRIVATE KEY-----/.test(text)
    ) {
      throw new SignerError({
        code: 'SIGNER_KEY_INVALID',
        message: 'expected a private key, got a public key or certificate',
      })
    }
    const encrypted = /ENCRYPTED/.test(text)
    try {
      key = createPrivateKey({
        key: text,
        format: 'pem',
        ...(options.passphrase !== undefined ? { passphrase: Buffer.from(options.passphrase) } : {}),
      })
    } catch (error) {
      if (encrypted) {
        throw new SignerError({
          code: 'SIGNER_WRONG_PASSPHRASE',
          message:
            options.passphrase === undefined
              ? 'the PEM private key is encrypted: pass its passphrase'
              : 'could not decrypt the PEM private key: the passphrase is wrong',
          cause: sanitizeCause(error),
        })
      }
      throw new SignerError({
        code: 'SIGNER_KEY_INVALID',
        message: 'could not parse the PEM private key',
        cause: sanitizeCause(error),
      })
    }
  } else if (typeof input === 'object' && input !== null) {
    if (typeof (input as JsonWebKey).d !== 'string') {
      throw new SignerError({
        code: 'SIGNER_KEY_INVALID',
        message: 'expected a private JWK (with a "d" member)',
      })
    }
    try {
      key = createPrivateKey({ key: input as JsonWebKey, format: 'jwk' })
    } catch (error) {
      throw new SignerError({
        code: 'SIGNER_KEY_INVALID',
        message: 'could not import the private JWK',
        cause: sanitizeCause(error),
      })
    }
  } else {
    throw new SignerError({
      code: 'SIGNER_KEY_INVALID',
      message: 'expected a PEM string, a JWK object or a KeyObject',
    })
  }
  describeKey(key)
  return key
}

/**
 * Reads a private key from the *value* of an environment variable the caller read (libraries never read
 * `process.env`). Accepts PEM text, base64 of PEM text (handy for single-line CI secrets), or JWK JSON.
 *
 * @example
 * const key = privateKeyFromEnvValue(process.env.CERTUS_SIGNING_KEY, { passphrase: process.env.CERTUS_KEY_PASSPHRASE })
 * @throws SignerError `SIGNER_KEY_INVALID` when the value is empty or none of the accepted forms, plus the codes of {@link loadPrivateKey}
 */
export function privateKeyFromEnvValue(
  value: string | undefined,
  options: LoadPrivateKeyOptions = {},
): KeyObject {
  const trimmed = value?.trim()
  if (!trimmed) {
    throw new SignerError({ code: 'SIGNER_KEY_INVALID', message: 'the key variable is empty or unset' })
  }
  if (trimmed.startsWith('-----BEGIN')) return loadPrivateKey(trimmed.replace(/\\n/g, '\n'), options)
  if (trimmed.startsWith('{')) {
    let jwk: unknown
    try {
      jwk = JSON.parse(trimmed)
    } catch {
      // The parser's message could quote part of the key, so no cause here.
      throw new SignerError({
        code: 'SIGNER_KEY_INVALID',
        message: 'the key variable looks like JSON but does not parse',
      })
    }
    return loadPrivateKey(jwk as JsonWebKey, options)
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed, 'base64').toString('utf8')
    if (decoded.startsWith('-----BEGIN')) return loadPrivateKey(decoded, options)
  }
  throw new SignerError({
    code: 'SIGNER_KEY_INVALID',
    message: 'the key variable holds neither PEM, base64 PEM nor JWK JSON',
  })
}

/**
 * Parses a public key (PEM SPKI, DER SPKI, JWK or KeyObject; a private key yields its public half).
 * @throws SignerError `SIGNER_KEY_INVALID`
 */
export function loadPublicKey(input: string | Uint8Array | JsonWebKey | KeyObject): KeyObject {
  try {
    if (input instanceof KeyObject) return input.type === 'private' ? createPublicKey(input) : input
    if (typeof input === 'string') return createPublicKey(input)
    if (input instanceof Uint8Array) {
      const text = Buffer.from(input).toString('utf8')
      return text.includes('-----BEGIN')
        ? createPublicKey(text)
        : createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' })
    }
    return createPublicKey({ key: input as JsonWebKey, format: 'jwk' })
  } catch (error) {
    throw new SignerError({
      code: 'SIGNER_KEY_INVALID',
      message: 'could not parse the public key',
      cause: sanitizeCause(error),
    })
  }
}

/**
 * Describes a key (private or public): algorithm, Sigstore key details, PEM and key id.
 * @throws SignerError `SIGNER_UNSUPPORTED_ALGORITHM` or `SIGNER_WEAK_KEY`
 */
export function describeKey(key: KeyObject): KeyInfo {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  const type = publicKey.asymmetricKeyType
  const details = publicKey.asymmetricKeyDetails ?? {}
  const base = {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: toHex(publicKeyFingerprint(publicKey)),
  }
  if (type === 'ec') {
    if (details.namedCurve === 'prime256v1')
      return { ...base, algorithm: 'ecdsa-p256', bits: 256, keyDetails: 'PKIX_ECDSA_P256_SHA_256' }
    if (details.namedCurve === 'secp384r1')
      return { ...base, algorithm: 'ecdsa-p384', bits: 384, keyDetails: 'PKIX_ECDSA_P384_SHA_384' }
    throw new SignerError({
      code: 'SIGNER_UNSUPPORTED_ALGORITHM',
      message: `ECDSA curve ${details.namedCurve ?? 'unknown'} is not supported: use P-256 or P-384`,
      details: { keyType: type, curve: details.namedCurve },
    })
  }
  if (type === 'ed25519') return { ...base, algorithm: 'ed25519', bits: 256, keyDetails: 'PKIX_ED25519' }
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = details.modulusLength ?? 0
    if (bits < MIN_RSA_BITS) {
      throw new SignerError({
        code: 'SIGNER_WEAK_KEY',
        message: `RSA keys must have at least ${MIN_RSA_BITS} bits (this one has ${bits}): generate a new key`,
        details: { bits },
      })
    }
    if (type === 'rsa-pss' && details.hashAlgorithm !== undefined && details.hashAlgorithm !== 'sha256') {
      throw new SignerError({
        code: 'SIGNER_UNSUPPORTED_ALGORITHM',
        message: `RSA-PSS keys must be restricted to SHA-256 (this one uses ${details.hashAlgorithm})`,
        details: { keyType: type, hashAlgorithm: details.hashAlgorithm },
      })
    }
    const size = bits >= 4096 ? 4096 : bits >= 3072 ? 3072 : 2048
    if (type === 'rsa') {
      return {
        ...base,
        algorithm: 'rsa-pkcs1v15',
        bits,
        keyDetails: `PKIX_RSA_PKCS1V15_${size}_SHA256` as PublicKeyDetails,
      }
    }
    return {
      ...base,
      algorithm: 'rsa-pss',
      bits,
      keyDetails: `PKIX_RSA_PSS_${size}_SHA256` as PublicKeyDetails,
      pssSaltLength: details.saltLength ?? 32,
    }
  }
  throw new SignerError({
    code: 'SIGNER_UNSUPPORTED_ALGORITHM',
    message: `keys of type ${type ?? 'unknown'} are not supported: use ECDSA P-256/P-384, Ed25519 or RSA (PKCS#1 v1.5 or PSS)`,
    details: { keyType: type },
  })
}

/**
 * OpenSSL errors never contain key bytes, but keep only their code and a fixed message so that nothing
 * derived from the input travels with our error.
 */
export function sanitizeCause(error: unknown): Error {
  const code =
    typeof error === 'object' && error !== null && 'code' in error
      ? String((error as { code: unknown }).code)
      : 'UNKNOWN'
  const sanitized = new Error(`crypto error ${code}`)
  ;(sanitized as Error & { code: string }).code = code
  return sanitized
}
