import {
  constants,
  createHash,
  createPrivateKey,
  type KeyObject,
  privateEncrypt,
  randomBytes,
} from 'node:crypto'
import { DIGEST_LENGTH, type HashAlgorithm } from './digest-length.js'
import { derElement, mgf1 } from './rsa-pss.js'

// RSA signing over a digest the caller already computed: node:crypto only signs a message it hashes itself, so the
// encoding (PKCS#1 v1.5 DigestInfo, or EMSA-PSS) is built here and the private operation runs in OpenSSL through
// privateEncrypt. Same results as node's own signing over the message (PSS differs only by its random salt).

// DER DigestInfo prefixes (RFC 8017 §9.2 note 1).
const DIGEST_INFO_PREFIX: Record<HashAlgorithm, Buffer> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
}

const plainViewOfPssKey = new WeakMap<KeyObject, KeyObject>()

/**
 * OpenSSL refuses raw RSA operations on keys restricted to RSASSA-PSS, so the digest path uses the same key as a
 * plain RSA key: the PKCS#8 wrapper's inner RSAPrivateKey (PKCS#1) is identical for both key types.
 */
function plainRsaPrivateKey(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType === 'rsa') return key
  const known = plainViewOfPssKey.get(key)
  if (known) return known
  const der = new Uint8Array(key.export({ type: 'pkcs8', format: 'der' }))
  // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm AlgorithmIdentifier, privateKey OCTET STRING, … }
  const outer = derElement(der, 0, 0x30)
  const version = derElement(der, outer.start, 0x02)
  const algorithm = derElement(der, version.end, 0x30)
  const inner = derElement(der, algorithm.end, 0x04)
  const plain = createPrivateKey({
    key: Buffer.from(der.subarray(inner.start, inner.end)),
    format: 'der',
    type: 'pkcs1',
  })
  plainViewOfPssKey.set(key, plain)
  return plain
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with MGF1 over the digest's hash, left-padded to the modulus length. */
function emsaPssEncode(
  hash: HashAlgorithm,
  mHash: Uint8Array,
  modulusBits: number,
  saltLength: number,
): Buffer {
  const hashLength = DIGEST_LENGTH[hash]
  const emBits = modulusBits - 1
  const emLength = Math.ceil(emBits / 8)
  if (emLength < hashLength + saltLength + 2)
    throw new RangeError('RSA-PSS encoding error: key too small for salt')
  const salt = randomBytes(saltLength)
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest()
  const db = Buffer.alloc(emLength - hashLength - 1)
  db[emLength - saltLength - hashLength - 2] = 0x01
  salt.copy(db, db.length - saltLength)
  const mask = mgf1(hash, h, db.length)
  for (let index = 0; index < db.length; index++) db[index]! ^= mask[index]!
  db[0]! &= 0xff >>> (8 * emLength - emBits)
  const encoded = Buffer.concat([db, h, Buffer.from([0xbc])])
  const modulusBytes = Math.ceil(modulusBits / 8)
  return encoded.length === modulusBytes
    ? encoded
    : Buffer.concat([Buffer.alloc(modulusBytes - encoded.length), encoded])
}

/** Options of {@link signRsaDigest}. */
export interface RsaDigestSignOptions {
  /** Sign RSASSA-PSS (MGF1 over the digest's hash) with this salt length instead of PKCS#1 v1.5. */
  pss?: { saltLength: number }
}

/**
 * RSA signature over a digest the caller already computed: PKCS#1 v1.5 (DigestInfo) by default, RSASSA-PSS with
 * `options.pss`. `rsa-pss` keys must be given `pss`. The digest must have `hash`'s length.
 * @throws RangeError for a digest of the wrong length or a salt the key is too small for.
 */
export function signRsaDigest(
  key: KeyObject,
  hash: HashAlgorithm,
  digest: Uint8Array,
  options: RsaDigestSignOptions = {},
): Uint8Array {
  if (!Object.hasOwn(DIGEST_LENGTH, hash) || digest.length !== DIGEST_LENGTH[hash])
    throw new RangeError(`expected a ${hash} digest`)
  if (!options.pss) {
    return new Uint8Array(
      privateEncrypt(
        { key, padding: constants.RSA_PKCS1_PADDING },
        Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]),
      ),
    )
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  return new Uint8Array(
    privateEncrypt(
      { key: plainRsaPrivateKey(key), padding: constants.RSA_NO_PADDING },
      emsaPssEncode(hash, digest, bits, options.pss.saltLength),
    ),
  )
}
