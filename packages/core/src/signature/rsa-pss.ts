import { constants, createHash, createPublicKey, type KeyObject, publicDecrypt } from 'node:crypto'
import { bytesEqual } from '../encoding.js'

// RSASSA-PSS verification over a digest the caller already computed (RFC 8017 §8.1.2 with EMSA-PSS-VERIFY, §9.1.2).
// node:crypto only verifies PSS over a message it hashes itself, so the RSA public operation is done with
// publicDecrypt(RSA_NO_PADDING) and the encoding is checked here. The salt length is recovered from the encoding
// (what OpenSSL calls RSA_PSS_SALTLEN_AUTO); MGF1 uses the digest's hash, as Go's rsa.VerifyPSS and node do.

export type PssHash = 'sha256' | 'sha384' | 'sha512'

const rsaViewOfPssKey = new WeakMap<KeyObject, KeyObject>()

/** Reads one DER TLV at `offset`: returns the content's start and end (shared with rsa-digest-sign.ts). */
export function derElement(der: Uint8Array, offset: number, tag: number): { start: number; end: number } {
  if (der[offset] !== tag) throw new Error('unexpected DER tag')
  let length = der[offset + 1] ?? 0
  let start = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 4) throw new Error('unsupported DER length')
    length = 0
    for (let index = 0; index < count; index++) length = length * 256 + (der[start + index] ?? 0)
    start += count
  }
  if (start + length > der.length) throw new Error('truncated DER')
  return { start, end: start + length }
}

/**
 * OpenSSL refuses raw (no-padding) operations on `rsa-pss` keys, so such a key is re-read as a plain `rsa` key from
 * the RSAPublicKey inside its SubjectPublicKeyInfo; the PSS parameters it carries are enforced by the caller.
 */
function rawRsaKey(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType === 'rsa') return key
  const known = rsaViewOfPssKey.get(key)
  if (known) return known
  const spki = new Uint8Array(key.export({ type: 'spki', format: 'der' }))
  const outer = derElement(spki, 0, 0x30)
  const algorithm = derElement(spki, outer.start, 0x30)
  const bitString = derElement(spki, algorithm.end, 0x03)
  if (spki[bitString.start] !== 0) throw new Error('RSA key bit string has unused bits')
  const rsa = createPublicKey({
    key: Buffer.from(spki.subarray(bitString.start + 1, bitString.end)),
    format: 'der',
    type: 'pkcs1',
  })
  rsaViewOfPssKey.set(key, rsa)
  return rsa
}

export function mgf1(hash: PssHash, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  const counter = new Uint8Array(4)
  let filled = 0
  for (let index = 0; filled < length; index++) {
    new DataView(counter.buffer).setUint32(0, index)
    const block = createHash(hash).update(seed).update(counter).digest()
    out.set(block.subarray(0, Math.min(block.length, length - filled)), filled)
    filled += block.length
  }
  return out
}

/**
 * Verifies an RSASSA-PSS signature over `digest` (the message's `hash`, which is also the MGF1 hash).
 * `rsa-pss` keys that restrict the hash or MGF1 hash are held to those restrictions.
 * Returns false on any failure.
 */
export function verifyRsaPssDigest(
  key: KeyObject,
  hash: PssHash,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    if (digest.length !== createHash(hash).digest().length) return false
    const details = key.asymmetricKeyDetails ?? {}
    if (key.asymmetricKeyType === 'rsa-pss') {
      if (details.hashAlgorithm !== undefined && details.hashAlgorithm !== hash) return false
      if (details.mgf1HashAlgorithm !== undefined && details.mgf1HashAlgorithm !== hash) return false
    } else if (key.asymmetricKeyType !== 'rsa') {
      return false
    }
    const modulusBits = details.modulusLength
    if (!modulusBits) return false
    const k = Math.ceil(modulusBits / 8)
    // RSAVP1 needs a signature exactly k octets long (RFC 8017 §8.1.2 step 1); publicDecrypt checks s < n.
    if (signature.length !== k) return false
    const decrypted = new Uint8Array(
      publicDecrypt({ key: rawRsaKey(key), padding: constants.RSA_NO_PADDING }, signature),
    )
    // EMSA-PSS-VERIFY with emBits = modBits - 1.
    const emBits = modulusBits - 1
    const emLen = Math.ceil(emBits / 8)
    if (decrypted.length !== k) return false
    // When modBits ≡ 1 (mod 8), EM is one octet shorter than the modulus and I2OSP leaves a leading zero.
    if (k > emLen && decrypted.subarray(0, k - emLen).some((byte) => byte !== 0)) return false
    const em = decrypted.subarray(k - emLen)
    const hLen = digest.length
    if (emLen < hLen + 2) return false
    if (em[emLen - 1] !== 0xbc) return false
    const maskedDb = em.subarray(0, emLen - hLen - 1)
    const h = em.subarray(emLen - hLen - 1, emLen - 1)
    const unusedBits = 8 * emLen - emBits
    const topMask = 0xff >> unusedBits
    if (((maskedDb[0] ?? 0) & ~topMask) !== 0) return false
    const dbMask = mgf1(hash, h, maskedDb.length)
    const db = maskedDb.map((byte, index) => byte ^ (dbMask[index] ?? 0))
    db[0] = (db[0] ?? 0) & topMask
    // DB = PS (zero octets) || 0x01 || salt; the salt length is whatever follows the first non-zero octet.
    const separator = db.findIndex((byte) => byte !== 0)
    if (separator < 0 || db[separator] !== 0x01) return false
    // A key's saltLength parameter (a minimum, RFC 4055) is deliberately not enforced: node:crypto/OpenSSL do not
    // enforce it with an auto-detected salt either, and the over-the-message path must give the same verdict.
    const salt = db.subarray(separator + 1)
    const expected = createHash(hash).update(new Uint8Array(8)).update(digest).update(salt).digest()
    return bytesEqual(new Uint8Array(expected), h)
  } catch {
    return false
  }
}
