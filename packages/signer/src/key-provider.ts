import {
  constants,
  createHash,
  createPrivateKey,
  type KeyObject,
  sign as nodeSign,
  privateEncrypt,
  randomBytes,
} from 'node:crypto'
import { signEcdsaDigest } from './ecdsa-digest-sign.js'
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
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex')

/**
 * A {@link KeyProvider} for a private key in memory (PEM, encrypted PEM, JWK or KeyObject).
 * Signing runs on OpenSSL (node:crypto) when the message is at hand; bare ECDSA digests use OpenSSL for the
 * scalar multiplication and a few field operations around it (`ecdsa-digest-sign.ts`: node cannot sign a
 * prehashed ECDSA input), RSA digests raw RSA with our own PKCS#1 v1.5 / PSS encoding.
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
  let ecScalar: Uint8Array | undefined
  let rawRsaKey: KeyObject | undefined

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
        ecScalar ??= Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url')
        return options.signingThreads
          ? options.signingThreads.signEcdsaDigest(info.algorithm, ecScalar, digest)
          : signEcdsaDigest(info.algorithm, ecScalar, digest)
      }
      case 'rsa-pkcs1v15':
        return new Uint8Array(
          privateEncrypt(
            { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
            Buffer.concat([SHA256_DIGEST_INFO_PREFIX, digest]),
          ),
        )
      case 'rsa-pss':
        rawRsaKey ??= plainRsaKey(privateKey)
        return new Uint8Array(
          privateEncrypt(
            { key: rawRsaKey, padding: constants.RSA_NO_PADDING },
            emsaPssEncode(digest, info.bits, info.pssSaltLength ?? 32),
          ),
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

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with SHA-256 and MGF1-SHA-256, left-padded to the modulus length. */
function emsaPssEncode(mHash: Uint8Array, modulusBits: number, saltLength: number): Buffer {
  const hashLength = 32
  const emBits = modulusBits - 1
  const emLength = Math.ceil(emBits / 8)
  if (emLength < hashLength + saltLength + 2) {
    throw new SignerError({
      code: 'SIGNER_SIGNING_FAILED',
      message: 'RSA-PSS encoding error: key too small for salt',
    })
  }
  const salt = randomBytes(saltLength)
  const h = createHash('sha256').update(Buffer.alloc(8)).update(mHash).update(salt).digest()
  const db = Buffer.alloc(emLength - hashLength - 1)
  db[emLength - saltLength - hashLength - 2] = 0x01
  salt.copy(db, db.length - saltLength)
  const mask = mgf1(h, db.length)
  for (let index = 0; index < db.length; index++) db[index]! ^= mask[index]!
  db[0]! &= 0xff >>> (8 * emLength - emBits)
  const encoded = Buffer.concat([db, h, Buffer.from([0xbc])])
  const modulusBytes = Math.ceil(modulusBits / 8)
  return encoded.length === modulusBytes
    ? encoded
    : Buffer.concat([Buffer.alloc(modulusBytes - encoded.length), encoded])
}

function mgf1(seed: Buffer, length: number): Buffer {
  const chunks: Buffer[] = []
  for (let counter = 0; chunks.length * 32 < length; counter++) {
    const c = Buffer.alloc(4)
    c.writeUInt32BE(counter)
    chunks.push(createHash('sha256').update(seed).update(c).digest())
  }
  return Buffer.concat(chunks).subarray(0, length)
}

/**
 * OpenSSL refuses raw RSA operations on keys restricted to RSASSA-PSS, so the digest path uses the same key as a
 * plain RSA key: the PKCS#8 wrapper's inner RSAPrivateKey (PKCS#1) is identical for both key types.
 */
function plainRsaKey(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType === 'rsa') return key
  const der = key.export({ type: 'pkcs8', format: 'der' })
  // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm AlgorithmIdentifier, privateKey OCTET STRING, … }
  let offset = readHeader(der, 0, 0x30).contentStart
  for (const tag of [0x02, 0x30]) {
    const element = readHeader(der, offset, tag)
    offset = element.contentStart + element.length
  }
  const inner = readHeader(der, offset, 0x04)
  return createPrivateKey({
    key: der.subarray(inner.contentStart, inner.contentStart + inner.length),
    format: 'der',
    type: 'pkcs1',
  })
}

function readHeader(der: Buffer, offset: number, tag: number): { contentStart: number; length: number } {
  if (der[offset] !== tag)
    throw new SignerError({
      code: 'SIGNER_KEY_INVALID',
      message: 'unexpected PKCS#8 structure in the RSA-PSS key',
    })
  let length = der[offset + 1]!
  let contentStart = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    length = 0
    for (let index = 0; index < count; index++) length = length * 256 + der[contentStart + index]!
    contentStart += count
  }
  return { contentStart, length }
}
