import { verify as cryptoVerify, type KeyObject } from 'node:crypto'
import type { ResolvedArtifact } from './artifact.js'
import { fail } from './errors.js'

function isEdwards(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448'
}

/** The hash a key signs with by default (P-384 → SHA-384, P-521 → SHA-512, else SHA-256). */
export function defaultHash(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    if (curve === 'secp384r1') return 'sha384'
    if (curve === 'secp521r1') return 'sha512'
  }
  return 'sha256'
}

function safeVerify(hash: string | null, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    return cryptoVerify(hash, data, key, signature)
  } catch {
    return false
  }
}

/** Verifies a signature over `data` we hold in full (DSSE PAE, small artifacts). */
export function verifyOverData(
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
  hash = defaultHash(key),
): boolean {
  if (isEdwards(key)) return safeVerify(null, data, key, signature)
  return safeVerify(hash, data, key, signature)
}

type SignatureModule = typeof import('@certus-trust/core/signature')
let signatureModule: Promise<SignatureModule> | undefined

/**
 * Verifies a signature given only the message digest, with core's digest-signature primitive (ECDSA, RSA PKCS#1
 * v1.5 and PSS), loaded on first use: it pulls in @noble/curves, which a verification over the artifact's bytes never
 * needs. Pure Ed25519 needs the message itself.
 */
async function verifyOverDigest(
  key: KeyObject,
  digest: Buffer,
  hash: string,
  signature: Uint8Array,
): Promise<boolean> {
  if (isEdwards(key)) {
    fail(
      'VERIFIER_UNSUPPORTED',
      'Ed25519 message signatures cover the artifact itself: pass the artifact, not only its digest',
    )
  }
  if (key.asymmetricKeyType !== 'ec' && key.asymmetricKeyType !== 'rsa') {
    fail(
      'VERIFIER_UNSUPPORTED',
      `digest-only verification is not supported for ${key.asymmetricKeyType} keys`,
    )
  }
  signatureModule ??= import('@certus-trust/core/signature')
  const { DIGEST_LENGTH, verifyDigestSignature } = await signatureModule
  if (!Object.hasOwn(DIGEST_LENGTH, hash)) return false
  return verifyDigestSignature(key, hash as keyof typeof DIGEST_LENGTH, digest, signature)
}

/**
 * Verifies a message signature over the artifact: over its bytes when we have them, else over
 * its digest for `hash`.
 */
export async function verifyMessageSignature(
  key: KeyObject,
  signature: Uint8Array,
  artifact: ResolvedArtifact,
  hash: string,
): Promise<boolean> {
  if (artifact.bytes) return verifyOverData(key, artifact.bytes, signature, hash)
  const digest = artifact.digest(hash)
  if (!digest)
    fail(
      'VERIFIER_INVALID_ARTIFACT',
      `the signature uses ${hash}, which cannot be computed from a sha256 digest`,
    )
  return verifyOverDigest(key, digest, hash, signature)
}
