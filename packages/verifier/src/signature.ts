import { constants, verify as cryptoVerify, type KeyObject, publicDecrypt } from 'node:crypto'
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

const DIGEST_INFO_PREFIX: Record<string, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
}

type NobleCurves = typeof import('@noble/curves/nist.js')
let noble: Promise<NobleCurves> | undefined

/**
 * Verifies a signature given only the message digest. node:crypto cannot verify ECDSA over a
 * pre-computed digest, so ECDSA goes through @noble/curves (loaded on first use); RSA PKCS#1 v1.5
 * is checked by recovering the DigestInfo. Pure Ed25519 needs the message itself.
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
  if (key.asymmetricKeyType === 'ec') {
    noble ??= import('@noble/curves/nist.js')
    const curves = await noble
    const curve = { prime256v1: curves.p256, secp384r1: curves.p384, secp521r1: curves.p521 }[
      key.asymmetricKeyDetails?.namedCurve ?? ''
    ]
    if (!curve) return false
    const jwk = key.export({ format: 'jwk' })
    const point = Buffer.concat([
      Uint8Array.of(4),
      Buffer.from(jwk.x!, 'base64url'),
      Buffer.from(jwk.y!, 'base64url'),
    ])
    try {
      return curve.verify(signature, digest, point, { prehash: false, lowS: false, format: 'der' })
    } catch {
      return false
    }
  }
  if (key.asymmetricKeyType === 'rsa') {
    try {
      const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature)
      return recovered.equals(Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[hash] ?? '', 'hex'), digest]))
    } catch {
      return false
    }
  }
  return fail(
    'VERIFIER_UNSUPPORTED',
    `digest-only verification is not supported for ${key.asymmetricKeyType} keys`,
  )
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
