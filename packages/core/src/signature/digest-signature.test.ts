import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto'
import { p256, p384, p521 } from '@noble/curves/nist.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { HashAlgorithm } from './digest-length.js'
import { verifyDigestSignature } from './digest-signature.js'
import { clearEcPointCache, EC_POINT_CACHE_SIZE, ecPointCacheSize } from './ecdsa-digest.js'

const digestOf = (algorithm: HashAlgorithm, message: Uint8Array) =>
  new Uint8Array(createHash(algorithm).update(message).digest())

function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes)
  copy[index % copy.length]! ^= 0x01
  return copy
}

/** The node:crypto public key of an uncompressed P-256 point. */
function p256PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(raw.subarray(1, 33)).toString('base64url'),
      y: Buffer.from(raw.subarray(33)).toString('base64url'),
    },
    format: 'jwk',
  })
}

const ALGORITHMS: HashAlgorithm[] = ['sha256', 'sha384', 'sha512']

describe('verifyDigestSignature: ECDSA', () => {
  const curves = [
    { name: 'P-256', noble: p256 },
    { name: 'P-384', noble: p384 },
    { name: 'P-521', noble: p521 },
  ] as const

  for (const { name, noble } of curves) {
    for (const algorithm of ALGORITHMS) {
      it(`${name} with ${algorithm}: accepts node:crypto signatures, agrees with noble, rejects tampering`, () => {
        const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: name })
        const raw = (() => {
          const jwk = publicKey.export({ format: 'jwk' })
          return new Uint8Array(
            Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]),
          )
        })()
        const message = randomBytes(200)
        const digest = digestOf(algorithm, message)
        const signature = new Uint8Array(sign(algorithm, message, { key: privateKey, dsaEncoding: 'der' }))
        // Several rounds so the key crosses the precompute threshold: the tabled path must agree with the untabled one.
        for (let round = 0; round < 5; round++) {
          expect(verifyDigestSignature(publicKey, algorithm, digest, signature)).toBe(true)
          expect(noble.verify(signature, digest, raw, { prehash: false, format: 'der', lowS: false })).toBe(
            true,
          )
          const badDigest = flipByte(digest, round * 7)
          expect(verifyDigestSignature(publicKey, algorithm, badDigest, signature)).toBe(false)
          const badSignature = flipByte(signature, signature.length - 1 - round)
          expect(verifyDigestSignature(publicKey, algorithm, digest, badSignature)).toBe(
            noble.verify(badSignature, digest, raw, { prehash: false, format: 'der', lowS: false }),
          )
          expect(verifyDigestSignature(publicKey, algorithm, digest, badSignature)).toBe(false)
        }
        // Over the message (node:crypto path): same verdicts, and the message must match the digest.
        expect(verifyDigestSignature(publicKey, algorithm, digest, signature, { message })).toBe(true)
        expect(
          verifyDigestSignature(publicKey, algorithm, digest, signature, { message: flipByte(message, 3) }),
        ).toBe(false)
        expect(
          verifyDigestSignature(publicKey, algorithm, digest, flipByte(signature, 10), { message }),
        ).toBe(false)
      })
    }
  }

  it('P-256 and P-384 agree with noble over 200 random digests and keys (OpenSSL base multiplication on P-256)', () => {
    for (const noble of [p256, p384]) {
      for (let round = 0; round < 100; round++) {
        const secret = noble.utils.randomSecretKey()
        const raw = noble.getPublicKey(secret, false)
        const publicKey = createPublicKey({
          key: {
            kty: 'EC',
            crv: noble === p256 ? 'P-256' : 'P-384',
            x: Buffer.from(raw.subarray(1, 1 + (raw.length - 1) / 2)).toString('base64url'),
            y: Buffer.from(raw.subarray(1 + (raw.length - 1) / 2)).toString('base64url'),
          },
          format: 'jwk',
        })
        const digest = new Uint8Array(randomBytes(32))
        const signature = noble.sign(digest, secret, { prehash: false, format: 'der' })
        expect(verifyDigestSignature(publicKey, 'sha256', digest, signature)).toBe(true)
        const other = flipByte(digest, round)
        expect(verifyDigestSignature(publicKey, 'sha256', other, signature)).toBe(
          noble.verify(signature, other, raw, { prehash: false, format: 'der', lowS: false }),
        )
      }
    }
  })

  it('verifies a signature over the all-zero digest (u1 = 0: no base multiplication)', () => {
    const secret = p256.utils.randomSecretKey()
    const raw = p256.getPublicKey(secret, false)
    const publicKey = p256PublicKey(raw)
    const zero = new Uint8Array(32)
    const signature = p256.sign(zero, secret, { prehash: false, format: 'der' })
    expect(verifyDigestSignature(publicKey, 'sha256', zero, signature)).toBe(true)
    expect(verifyDigestSignature(publicKey, 'sha256', flipByte(zero, 0), signature)).toBe(false)
  })

  it('P-256 through the shifted key: the key itself (a = 0), and the doubling and identity cases, agree with noble', () => {
    const { Fn } = p256.Point
    const secret = p256.utils.randomSecretKey()
    const d = Fn.fromBytes(secret)
    const raw = p256.getPublicKey(secret, false)
    const publicKey = p256PublicKey(raw)
    const emptyDigest = Fn.create(BigInt(`0x${createHash('sha256').update('').digest('hex')}`))
    // A valid signature (r, s) over digest z = z0 + r·t (mod n): the shift a = (z − z0)/r is then t.
    const signWithShift = (shift: (r: bigint) => bigint) => {
      const k = Fn.fromBytes(p256.utils.randomSecretKey())
      const r = Fn.create(p256.Point.BASE.multiply(k).toAffine().x)
      const z = Fn.create(emptyDigest + shift(r))
      const s = Fn.create(Fn.inv(k) * (z + r * d))
      const digest = new Uint8Array(Buffer.from(z.toString(16).padStart(64, '0'), 'hex'))
      return { digest, signature: new p256.Signature(r, s).toBytes('der') }
    }
    const cases = {
      'a = 0 (OpenSSL with the key itself)': signWithShift(() => 0n),
      'Q + a·G = 2Q (a doubling)': signWithShift((r) => r * d),
      'Q + a·G = identity': signWithShift((r) => Fn.neg(r * d)),
      'an ordinary shift': signWithShift((r) => r * 12345n),
    }
    for (const [name, { digest, signature }] of Object.entries(cases)) {
      expect(verifyDigestSignature(publicKey, 'sha256', digest, signature), name).toBe(true)
      expect(p256.verify(signature, digest, raw, { prehash: false, format: 'der', lowS: false }), name).toBe(
        true,
      )
      expect(verifyDigestSignature(publicKey, 'sha256', flipByte(digest, 31), signature), name).toBe(false)
      expect(
        verifyDigestSignature(publicKey, 'sha256', digest, flipByte(signature, signature.length - 1)),
        name,
      ).toBe(false)
    }
  })

  it('accepts high-S signatures (as Rekor and node:crypto do) and rejects r or s out of range', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const message = randomBytes(64)
    const digest = digestOf('sha256', message)
    const parsed = p256.Signature.fromBytes(sign('sha256', message, privateKey), 'der')
    const order = p256.Point.Fn.ORDER
    const flipped = new p256.Signature(parsed.r, order - parsed.s).toBytes('der')
    expect(verify('sha256', message, publicKey, flipped)).toBe(true)
    expect(verifyDigestSignature(publicKey, 'sha256', digest, flipped)).toBe(true)
    // s + n encodes a number outside [1, n-1]: must be rejected, not reduced.
    const hex = (value: bigint) => {
      const text = value.toString(16)
      const padded = text.length % 2 ? `0${text}` : text
      return Number.parseInt(padded.slice(0, 2), 16) & 0x80 ? `00${padded}` : padded
    }
    const derInt = (value: bigint) => {
      const body = hex(value)
      return `02${(body.length / 2).toString(16).padStart(2, '0')}${body}`
    }
    const body = derInt(parsed.r) + derInt(parsed.s + order)
    const overflow = Buffer.from(`30${(body.length / 2).toString(16).padStart(2, '0')}${body}`, 'hex')
    expect(verifyDigestSignature(publicKey, 'sha256', digest, overflow)).toBe(false)
  })

  it('binds the signature to the key: another key on the same curve is rejected even once cached', () => {
    const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const digest = digestOf('sha256', randomBytes(32))
    // A signature over the digest *as a message* (i.e. over SHA-256(digest)) is not a signature over the digest.
    const signature = new Uint8Array(sign('sha256', digest, { key: signer.privateKey, dsaEncoding: 'der' }))
    const message = randomBytes(32)
    const good = new Uint8Array(sign('sha256', message, signer.privateKey))
    const goodDigest = digestOf('sha256', message)
    for (let round = 0; round < 4; round++) {
      expect(verifyDigestSignature(signer.publicKey, 'sha256', goodDigest, good)).toBe(true)
      expect(verifyDigestSignature(other.publicKey, 'sha256', goodDigest, good)).toBe(false)
    }
    expect(verifyDigestSignature(signer.publicKey, 'sha256', digest, signature)).toBe(false)
  })

  it('recognises the same key in a fresh KeyObject (cache keyed by the point, not the object)', () => {
    clearEcPointCache()
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string
    const message = randomBytes(100)
    const digest = digestOf('sha256', message)
    const signature = new Uint8Array(sign('sha256', message, privateKey))
    for (let round = 0; round < 5; round++) {
      const fresh = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey
      expect(verifyDigestSignature(fresh, 'sha256', digest, signature)).toBe(false)
      // A KeyObject re-read from PEM each time, as a log does per entry.
      const reread = createPublicKey(pem)
      expect(verifyDigestSignature(reread, 'sha256', digest, signature)).toBe(true)
    }
    // One cached point for the signer, one per throw-away key.
    expect(ecPointCacheSize()).toBe(6)
  })

  it('keeps the point cache bounded', () => {
    clearEcPointCache()
    const digest = digestOf('sha256', randomBytes(16))
    for (let index = 0; index < EC_POINT_CACHE_SIZE + 6; index++) {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      verifyDigestSignature(publicKey, 'sha256', digest, new Uint8Array(70))
      const { publicKey: another } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      // A well-formed but wrong signature goes through point decoding and caching.
      const message = randomBytes(8)
      const signature = sign('sha256', message, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
      expect(verifyDigestSignature(another, 'sha256', digestOf('sha256', message), signature)).toBe(false)
    }
    expect(ecPointCacheSize()).toBe(EC_POINT_CACHE_SIZE)
  })

  it('rejects a digest of the wrong length for its algorithm and unknown algorithms', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const message = randomBytes(10)
    const signature = new Uint8Array(sign('sha256', message, privateKey))
    const digest = digestOf('sha256', message)
    expect(verifyDigestSignature(publicKey, 'sha384', digest, signature)).toBe(false)
    expect(verifyDigestSignature(publicKey, 'md5' as HashAlgorithm, digest.subarray(0, 16), signature)).toBe(
      false,
    )
    expect(verifyDigestSignature(publicKey, 'sha256', digest, new Uint8Array())).toBe(false)
  })
})

/** Reads DER TLV headers: returns the content's start and end. */
function derContent(der: Uint8Array, offset: number): { start: number; end: number } {
  let length = der[offset + 1]!
  let start = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    length = 0
    for (let index = 0; index < count; index++) length = length * 256 + der[start + index]!
    start += count
  }
  return { start, end: start + length }
}

/** The same RSA private key without its PSS restrictions (PKCS#8 → its inner RSAPrivateKey). */
function unrestricted(privateKey: KeyObject): KeyObject {
  const der = new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }))
  const outer = derContent(der, 0)
  const version = derContent(der, outer.start)
  const algorithm = derContent(der, version.end)
  const octets = derContent(der, algorithm.end)
  return createPrivateKey({
    key: Buffer.from(der.subarray(octets.start, octets.end)),
    format: 'der',
    type: 'pkcs1',
  })
}

describe('verifyDigestSignature: RSA', () => {
  const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 })
  // 2049 bits: the PSS encoding is one octet shorter than the modulus (emBits ≡ 0 mod 8).
  const rsa2049 = generateKeyPairSync('rsa', { modulusLength: 2049 })
  const pssKey = generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
  const pssRestricted = generateKeyPairSync('rsa-pss', {
    modulusLength: 2048,
    hashAlgorithm: 'sha256',
    mgf1HashAlgorithm: 'sha256',
    // @types/node declares this a string; node takes the number of octets.
    saltLength: 32 as unknown as string,
  })

  const pssSign = (
    privateKey: KeyObject,
    algorithm: HashAlgorithm,
    message: Uint8Array,
    saltLength: number,
  ) =>
    new Uint8Array(
      sign(algorithm, message, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }),
    )

  const cases = [
    { label: 'rsa 2048', pair: rsa2048 },
    { label: 'rsa 2049', pair: rsa2049 },
    { label: 'rsa-pss 2048', pair: pssKey },
  ]
  for (const { label, pair } of cases) {
    for (const algorithm of ALGORITHMS) {
      it(`${label}: PSS with ${algorithm} and salt lengths 0, 20, 32, hLen and max verify over the digest`, () => {
        const message = randomBytes(300)
        const digest = digestOf(algorithm, message)
        const saltLengths = [0, 20, 32, digest.length, constants.RSA_PSS_SALTLEN_MAX_SIGN]
        for (const [round, saltLength] of saltLengths.entries()) {
          const signature = pssSign(pair.privateKey, algorithm, message, saltLength)
          expect(verifyDigestSignature(pair.publicKey, algorithm, digest, signature)).toBe(true)
          expect(verifyDigestSignature(pair.publicKey, algorithm, digest, signature, { message })).toBe(true)
          expect(
            verifyDigestSignature(pair.publicKey, algorithm, flipByte(digest, round * 5), signature),
          ).toBe(false)
          expect(
            verifyDigestSignature(pair.publicKey, algorithm, digest, flipByte(signature, round * 37 + 3)),
          ).toBe(false)
          expect(verifyDigestSignature(pair.publicKey, algorithm, digest, signature.subarray(1))).toBe(false)
        }
      })
    }
  }

  it('rsa: PKCS#1 v1.5 still verifies, and the DigestInfo must name the claimed algorithm', () => {
    const message = randomBytes(50)
    const signature = new Uint8Array(sign('sha384', message, rsa2048.privateKey))
    expect(verifyDigestSignature(rsa2048.publicKey, 'sha384', digestOf('sha384', message), signature)).toBe(
      true,
    )
    expect(verifyDigestSignature(rsa2048.publicKey, 'sha512', digestOf('sha512', message), signature)).toBe(
      false,
    )
    expect(
      verifyDigestSignature(rsa2048.publicKey, 'sha384', digestOf('sha384', message), flipByte(signature, 9)),
    ).toBe(false)
  })

  it('rsa: a PSS signature made with one hash does not verify as another', () => {
    const message = randomBytes(50)
    const signature = pssSign(rsa2048.privateKey, 'sha512', message, 32)
    expect(verifyDigestSignature(rsa2048.publicKey, 'sha512', digestOf('sha512', message), signature)).toBe(
      true,
    )
    // Same length digest, wrong content.
    expect(verifyDigestSignature(rsa2048.publicKey, 'sha256', digestOf('sha256', message), signature)).toBe(
      false,
    )
  })

  it('rsa-pss keys: their hash and minimum salt length restrictions hold', () => {
    const message = randomBytes(80)
    const digest = digestOf('sha256', message)
    const ok = pssSign(pssRestricted.privateKey, 'sha256', message, 32)
    expect(verifyDigestSignature(pssRestricted.publicKey, 'sha256', digest, ok)).toBe(true)
    // Same modulus, signed without the key's restrictions. The key's saltLength (a minimum, RFC 4055) is not
    // enforced, as node:crypto and OpenSSL do not enforce it with an auto-detected salt either (and verifiers
    // built on them would accept the entry).
    const plain = unrestricted(pssRestricted.privateKey)
    const plainPublic = createPublicKey(plain)
    const shortSalt = pssSign(plain, 'sha256', message, 20)
    const nodeVerdict = verify(
      'sha256',
      message,
      { key: pssRestricted.publicKey, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
      shortSalt,
    )
    expect(verifyDigestSignature(pssRestricted.publicKey, 'sha256', digest, shortSalt)).toBe(nodeVerdict)
    expect(verifyDigestSignature(pssRestricted.publicKey, 'sha256', digest, shortSalt, { message })).toBe(
      nodeVerdict,
    )
    // Restricted to SHA-256: a SHA-512 signature by the same modulus is refused.
    const sha512Signature = pssSign(plain, 'sha512', message, 32)
    const digest512 = digestOf('sha512', message)
    expect(verifyDigestSignature(plainPublic, 'sha512', digest512, sha512Signature)).toBe(true)
    expect(verifyDigestSignature(pssRestricted.publicKey, 'sha512', digest512, sha512Signature)).toBe(false)
    expect(
      verifyDigestSignature(pssRestricted.publicKey, 'sha512', digest512, sha512Signature, { message }),
    ).toBe(false)
    // And PKCS#1 v1.5 by the same modulus is not PSS.
    const v15 = new Uint8Array(sign('sha256', message, plain))
    expect(verifyDigestSignature(plainPublic, 'sha256', digest, v15)).toBe(true)
    expect(verifyDigestSignature(pssRestricted.publicKey, 'sha256', digest, v15)).toBe(false)
    expect(verifyDigestSignature(pssRestricted.publicKey, 'sha256', digest, v15, { message })).toBe(false)
  })

  it('agrees with node:crypto PSS verification on random messages, salts and tampering (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        fc.integer({ min: 0, max: 64 }),
        fc.constantFrom<HashAlgorithm>('sha256', 'sha384', 'sha512'),
        fc.integer({ min: -1, max: 255 }),
        (message, saltLength, algorithm, tamperAt) => {
          const signature = pssSign(rsa2048.privateKey, algorithm, message, saltLength)
          const candidate = tamperAt < 0 ? signature : flipByte(signature, tamperAt)
          const expected = verify(
            algorithm,
            message,
            {
              key: rsa2048.publicKey,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: constants.RSA_PSS_SALTLEN_AUTO,
            },
            candidate,
          )
          expect(expected).toBe(tamperAt < 0)
          expect(
            verifyDigestSignature(rsa2048.publicKey, algorithm, digestOf(algorithm, message), candidate),
          ).toBe(expected)
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('verifyDigestSignature: Ed25519', () => {
  it('checks Ed25519ph over a SHA-512 digest, and pure Ed25519 only when the message is given', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519')
    const message = randomBytes(120)
    const digest = digestOf('sha512', message)
    const pure = new Uint8Array(sign(null, message, privateKey))
    expect(verifyDigestSignature(publicKey, 'sha512', digest, pure)).toBe(false)
    expect(verifyDigestSignature(publicKey, 'sha512', digest, pure, { message })).toBe(true)
    expect(verifyDigestSignature(publicKey, 'sha512', digest, pure, { message: flipByte(message, 0) })).toBe(
      false,
    )
    expect(verifyDigestSignature(publicKey, 'sha512', digest, flipByte(pure, 0), { message })).toBe(false)
  })
})
