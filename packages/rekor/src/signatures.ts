import { constants, verify as cryptoVerify, type KeyObject, publicDecrypt } from 'node:crypto'
import { eddsa } from '@noble/curves/abstract/edwards.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { p256, p384, p521 } from '@noble/curves/nist.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { bytesEqual, fromBase64, utf8 } from './encoding.js'

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

/**
 * Verifies a signature over a whole message (DSSE PAE, or an artifact for pure Ed25519).
 *
 * ECDSA: SHA-256 is tried for every curve, because that is what Rekor (`LoadVerifier(key, crypto.SHA256)`) and
 * sigstore-js (node's default digest for EC keys) use; the curve's natural hash (SHA-384 for P-384, SHA-512 for
 * P-521) is accepted too, for signers that pair them. RSA: PKCS#1 v1.5 or PSS (salt length auto-detected) with
 * SHA-256; `rsa-pss` keys with SHA-256. Ed25519: pure.
 */
export function verifyMessageSignature(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    switch (key.asymmetricKeyType) {
      case 'ec': {
        const curve = key.asymmetricKeyDetails?.namedCurve
        const natural = curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : undefined
        if (cryptoVerify('sha256', message, { key, dsaEncoding: 'der' }, signature)) return true
        return natural !== undefined && cryptoVerify(natural, message, { key, dsaEncoding: 'der' }, signature)
      }
      case 'rsa':
        return (
          cryptoVerify('sha256', message, key, signature) ||
          cryptoVerify(
            'sha256',
            message,
            { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
            signature,
          )
        )
      case 'rsa-pss':
        return cryptoVerify(
          'sha256',
          message,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
          signature,
        )
      case 'ed25519':
        return cryptoVerify(null, message, key, signature)
      default:
        return false
    }
  } catch {
    return false
  }
}

/** DSSE pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(payload)> <payload>`. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const typeBytes = utf8(payloadType)
  const prefix = utf8(`DSSEv1 ${typeBytes.length} ${payloadType} ${payload.length} `)
  const out = new Uint8Array(prefix.length + payload.length)
  out.set(prefix, 0)
  out.set(payload, prefix.length)
  return out
}

/** Decodes a DSSE field that may be standard or URL-safe base64 (the DSSE spec allows either). */
export function decodeDsseBase64(value: string): Uint8Array | undefined {
  return (
    fromBase64(value) ??
    (/^[A-Za-z0-9_-]*={0,2}$/.test(value) ? new Uint8Array(Buffer.from(value, 'base64url')) : undefined)
  )
}
