import {
  constants,
  createHash,
  type KeyObject,
  sign as nodeSign,
  privateEncrypt,
  randomBytes,
} from 'node:crypto'
import { p256, p384 } from '@noble/curves/nist.js'

/** How a KMS signs: over a digest it is given (ECDSA, RSA) or over the message (Ed25519). */
export type KmsSigningScheme = 'ecdsa' | 'rsa-pkcs1v15' | 'rsa-pss' | 'ed25519'

// DER DigestInfo prefixes (RFC 8017 §9.2 note 1), by digest length.
const DIGEST_INFO_PREFIX: Record<number, Buffer> = {
  32: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  48: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
}

/**
 * Signs as a KMS does, with a real private key: ECDSA over the given digest bytes (DER, or r||s when `p1363`),
 * RSA PKCS#1 v1.5 / PSS (salt = digest length) over a SHA-256/384 digest, Ed25519 over the message.
 */
export function signLikeKms(
  privateKey: KeyObject,
  scheme: KmsSigningScheme,
  input: Uint8Array,
  options: { p1363?: boolean } = {},
): Uint8Array {
  switch (scheme) {
    case 'ecdsa': {
      const jwk = privateKey.export({ format: 'jwk' })
      const curve = jwk.crv === 'P-256' ? p256 : p384
      return curve.sign(input, Buffer.from(jwk.d as string, 'base64url'), {
        prehash: false,
        format: options.p1363 ? 'compact' : 'der',
      })
    }
    case 'rsa-pkcs1v15': {
      const prefix = DIGEST_INFO_PREFIX[input.length]
      if (!prefix) throw new Error(`no DigestInfo for a ${input.length}-byte digest`)
      return privateEncrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
        Buffer.concat([prefix, input]),
      )
    }
    case 'rsa-pss': {
      const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0
      return privateEncrypt(
        { key: privateKey, padding: constants.RSA_NO_PADDING },
        emsaPssEncode(Buffer.from(input), bits),
      )
    }
    case 'ed25519':
      return nodeSign(null, input, privateKey)
  }
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1), hash and MGF1 of the digest's size, salt as long as the digest. */
function emsaPssEncode(mHash: Buffer, modulusBits: number): Buffer {
  const hash = mHash.length === 48 ? 'sha384' : 'sha256'
  const hashLength = mHash.length
  const emBits = modulusBits - 1
  const emLength = Math.ceil(emBits / 8)
  const salt = randomBytes(hashLength)
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest()
  const db = Buffer.alloc(emLength - hashLength - 1)
  db[emLength - 2 * hashLength - 2] = 0x01
  salt.copy(db, db.length - hashLength)
  const chunks: Buffer[] = []
  for (let counter = 0; chunks.length * hashLength < db.length; counter++) {
    const c = Buffer.alloc(4)
    c.writeUInt32BE(counter)
    chunks.push(createHash(hash).update(h).update(c).digest())
  }
  const mask = Buffer.concat(chunks)
  for (let index = 0; index < db.length; index++) db[index]! ^= mask[index]!
  db[0]! &= 0xff >>> (8 * emLength - emBits)
  const encoded = Buffer.concat([db, h, Buffer.from([0xbc])])
  const modulusBytes = Math.ceil(modulusBits / 8)
  return Buffer.concat([Buffer.alloc(modulusBytes - encoded.length), encoded])
}
