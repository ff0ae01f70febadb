import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto'

// Signatures over whole messages (node:crypto only), kept apart from the digest checks, which need @noble/curves.

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
