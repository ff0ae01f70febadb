import { constants, type KeyObject, publicDecrypt } from 'node:crypto'
import { eddsa } from '@noble/curves/abstract/edwards.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { p256, p384, p521 } from '@noble/curves/nist.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { bytesEqual, utf8 } from './encoding.js'

// The message-signature helpers need no @noble/curves: they live apart so the lean `./offline` entry can share them
// without loading noble at start-up. Re-exported here so existing imports of this module keep working.
export { decodeDsseBase64, preAuthEncoding, verifyMessageSignature } from './message-signature.js'

/** Digest algorithms Rekor's hashedrekord 0.0.1 accepts. */
export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512'

export const DIGEST_LENGTH: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 }

// DER DigestInfo prefixes (RFC 8017 §9.2 note 1) for checking an RSA PKCS#1 v1.5 signature over a given digest.
const DIGEST_INFO_PREFIX: Record<HashAlgorithm, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
}

// Ed25519ph over a digest the caller already computed: the same curve and RFC 8032 domain (phflag = 1) as noble's
// ed25519ph, but with an identity "prehash", because hashedrekord carries SHA-512(message), not the message.
const ED25519PH_PREFIX = utf8('SigEd25519 no Ed25519 collisions')
const ed25519phDigest = eddsa(ed25519.Point, sha512, {
  domain: (data: Uint8Array, context: Uint8Array, phflag: boolean) => {
    const out = new Uint8Array(ED25519PH_PREFIX.length + 2 + context.length + data.length)
    out.set(ED25519PH_PREFIX, 0)
    out[ED25519PH_PREFIX.length] = phflag ? 1 : 0
    out[ED25519PH_PREFIX.length + 1] = context.length
    out.set(context, ED25519PH_PREFIX.length + 2)
    out.set(data, ED25519PH_PREFIX.length + 2 + context.length)
    return out
  },
  prehash: (message: Uint8Array) => message,
})

const rawPointCache = new WeakMap<KeyObject, Uint8Array>()

function rawEcPoint(key: KeyObject): Uint8Array {
  const known = rawPointCache.get(key)
  if (known) return known
  const jwk = key.export({ format: 'jwk' })
  const x = Buffer.from(jwk.x ?? '', 'base64url')
  const y = Buffer.from(jwk.y ?? '', 'base64url')
  const point = new Uint8Array([4, ...x, ...y])
  rawPointCache.set(key, point)
  return point
}

function rawEd25519(key: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url'))
}

/**
 * Verifies a signature made over a *digest* (hashedrekord semantics) rather than over the message:
 * ECDSA P-256/P-384/P-521 (DER) with @noble/curves and `prehash: false`, RSA PKCS#1 v1.5 by recovering the
 * DigestInfo, Ed25519 as Ed25519ph (which is what Rekor verifies for hashedrekord; the digest must be SHA-512).
 * Returns false on any failure.
 */
export function verifyDigestSignature(
  key: KeyObject,
  algorithm: HashAlgorithm,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (digest.length !== DIGEST_LENGTH[algorithm]) return false
  try {
    switch (key.asymmetricKeyType) {
      case 'ec': {
        const curve = key.asymmetricKeyDetails?.namedCurve
        const impl =
          curve === 'prime256v1'
            ? p256
            : curve === 'secp384r1'
              ? p384
              : curve === 'secp521r1'
                ? p521
                : undefined
        if (!impl) return false
        return impl.verify(signature, digest, rawEcPoint(key), { prehash: false, format: 'der', lowS: false })
      }
      case 'rsa': {
        const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature)
        const expected = Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[algorithm], 'hex'), digest])
        return bytesEqual(new Uint8Array(recovered), new Uint8Array(expected))
      }
      case 'ed25519':
        return (
          algorithm === 'sha512' &&
          ed25519phDigest.verify(signature, digest, rawEd25519(key), { zip215: false })
        )
      default:
        return false
    }
  } catch {
    return false
  }
}
