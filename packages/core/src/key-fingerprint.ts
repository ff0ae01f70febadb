import { createHash, createPublicKey, type KeyObject } from 'node:crypto'

// KeyObjects are immutable: a key's fingerprint is computed once (SPKI export + hash would otherwise repeat on hot
// paths such as SET checks and record building).
const fingerprints = new WeakMap<KeyObject, Uint8Array>()

/**
 * SHA-256 of a public key's DER SubjectPublicKeyInfo — the one key fingerprint everything here uses: Sigstore's key
 * ID, a Rekor log ID, `keyId` in our results and `sha256:<hex>` key fingerprints in records. A private key gives its
 * public key's fingerprint.
 *
 * @example
 * const logId = toHex(publicKeyFingerprint(createPublicKey(pem)))
 */
export function publicKeyFingerprint(key: KeyObject): Uint8Array {
  const known = fingerprints.get(key)
  if (known) return new Uint8Array(known)
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  const der = publicKey.export({ type: 'spki', format: 'der' })
  const fingerprint = new Uint8Array(createHash('sha256').update(der).digest())
  fingerprints.set(key, fingerprint)
  return new Uint8Array(fingerprint)
}
