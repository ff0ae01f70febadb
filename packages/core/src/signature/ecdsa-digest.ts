import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto'
import { p256, p384, p521 } from '@noble/curves/nist.js'
import { toBigInt, toBytes } from './big-endian.js'
import { opensslBaseMultiply } from './openssl-base-multiply.js'

// ECDSA over a digest the caller already computed (hashedrekord). node:crypto cannot verify a bare digest (it always
// hashes its input). P-256 is still checked by OpenSSL, over a fixed message with a shifted key (verifyP256Shifted);
// P-384 and P-521 use @noble/curves' field and point arithmetic. What makes noble's own `verify` slow for a log is
// that it decodes the public point from bytes on every call and multiplies it without a precomputed table; here
// decoded points are cached per key and, on P-384 and P-521, once a key has been seen a few times, given a wNAF table.

type Curve = typeof p256 | typeof p384 | typeof p521
type CurvePoint = ReturnType<Curve['Point']['fromBytes']>

const CURVES: Record<string, Curve> = { prime256v1: p256, secp384r1: p384, secp521r1: p521 }

/**
 * u·G in OpenSSL ({@link opensslBaseMultiply}). On P-384 and P-521 OpenSSL's generic code is slower than
 * @noble/curves' precomputed base table, so only P-256 takes this path. Only public values pass through here
 * (u1 = h·s⁻¹).
 */
function baseMultiply(curve: Curve, u: bigint): CurvePoint {
  const { Fn, Fp } = curve.Point
  const { x, y } = opensslBaseMultiply('prime256v1', u, Fn.BYTES, Fp.BYTES)
  return new curve.Point(x, y, 1n)
}

/** Decoded public points kept, least recently used evicted first. A tabled P-256 point holds ~100 KB. */
export const EC_POINT_CACHE_SIZE = 64
/** Uses of a key after which its point gets a precomputed table (the table costs ~10 verifications to build). */
const PRECOMPUTE_AFTER_USES = 3
/** wNAF window for cached keys: 6 builds in ~15 ms (P-256); 8 is marginally faster per verify but ~3x slower to build. */
const PRECOMPUTE_WINDOW = 6

interface CachedPoint {
  point: CurvePoint
  uses: number
}

const pointsByEncoding = new Map<string, CachedPoint>()
// Exporting a KeyObject costs microseconds; a caller that reuses one KeyObject skips even that.
const encodingByKey = new WeakMap<KeyObject, string>()

function keyEncoding(key: KeyObject, curveName: string): string {
  const known = encodingByKey.get(key)
  if (known !== undefined) return known
  const jwk = key.export({ format: 'jwk' })
  const encoding = `${curveName}:${jwk.x ?? ''}:${jwk.y ?? ''}`
  encodingByKey.set(key, encoding)
  return encoding
}

function cachedPoint(key: KeyObject, curveName: string, curve: Curve): CurvePoint {
  const encoding = keyEncoding(key, curveName)
  const cached = pointsByEncoding.get(encoding)
  if (cached) {
    // Re-insert to mark as most recently used (Map iteration order is insertion order).
    pointsByEncoding.delete(encoding)
    pointsByEncoding.set(encoding, cached)
    cached.uses++
    // P-256 keys are never multiplied here (OpenSSL does it, see verifyP256Shifted): no table for them.
    if (cached.uses === PRECOMPUTE_AFTER_USES && curve !== p256) cached.point.precompute(PRECOMPUTE_WINDOW)
    return cached.point
  }
  const [, x = '', y = ''] = encoding.split(':')
  const raw = Buffer.concat([Buffer.of(4), Buffer.from(x, 'base64url'), Buffer.from(y, 'base64url')])
  // fromBytes checks the point is on the curve (and not the identity's encoding).
  const point = curve.Point.fromBytes(new Uint8Array(raw))
  pointsByEncoding.set(encoding, { point, uses: 1 })
  if (pointsByEncoding.size > EC_POINT_CACHE_SIZE) {
    const oldest = pointsByEncoding.keys().next().value
    if (oldest !== undefined) pointsByEncoding.delete(oldest)
  }
  return point
}

/** Drops every cached point (tests and long-running processes that rotate many keys). */
export function clearEcPointCache(): void {
  pointsByEncoding.clear()
}

/** Number of cached points (for tests of the bound). */
export function ecPointCacheSize(): number {
  return pointsByEncoding.size
}

// P-256 through OpenSSL with a shifted key. OpenSSL only verifies signatures over messages it hashes itself, but
// ECDSA's check is linear in the key: for a fixed message M0 with z0 = SHA-256(M0) and a = (z − z0)·r⁻¹ mod n, the
// key Q' = Q + a·G makes OpenSSL's check of (r, s) over M0 compute s⁻¹(z0·G + r·Q') = s⁻¹(z·G + r·Q), the very point
// the check of (r, s) over digest z with key Q computes. So both verdicts are the same, for one OpenSSL base
// multiplication, one point addition and one OpenSSL verification, and no per-key table: a certificate's fresh key
// costs what a known key costs (about 14 times less than multiplying by it in JavaScript).
const SHIFTED_MESSAGE = new Uint8Array(0)
const SHIFTED_DIGEST = p256.Point.Fn.create(toBigInt(createHash('sha256').update(SHIFTED_MESSAGE).digest()))
/** DER SubjectPublicKeyInfo of a P-256 key up to its uncompressed point (0x04 ‖ x ‖ y follows). */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex')

/**
 * The P-256 check of (r, s) over `h` (already reduced mod n) with key Q, by OpenSSL; undefined where Q + a·G is the
 * identity or needs a doubling (Q = ±a·G, which an attacker without the key cannot aim at), for the caller's
 * general path to decide.
 */
function verifyP256Shifted(Q: CurvePoint, h: bigint, r: bigint, signature: Uint8Array): boolean | undefined {
  const { Fn, Fp } = p256.Point
  const a = Fn.create((h - SHIFTED_DIGEST) * Fn.inv(r))
  const q = Q.toAffine()
  let shifted = q
  if (a !== 0n) {
    const A = opensslBaseMultiply('prime256v1', a, Fn.BYTES, Fp.BYTES)
    if (A.x === q.x) return undefined
    const slope = Fp.mul(Fp.sub(A.y, q.y), Fp.inv(Fp.sub(A.x, q.x)))
    const x = Fp.sub(Fp.sub(Fp.sqr(slope), q.x), A.x)
    shifted = { x, y: Fp.sub(Fp.mul(slope, Fp.sub(q.x, x)), q.y) }
  }
  const key = createPublicKey({
    key: Buffer.concat([
      P256_SPKI_PREFIX,
      Buffer.of(4),
      toBytes(shifted.x, Fp.BYTES),
      toBytes(shifted.y, Fp.BYTES),
    ]),
    format: 'der',
    type: 'spki',
  })
  // The bytes the caller parsed as strict DER with r and s in [1, n-1]: OpenSSL reads the same two values.
  return verify('sha256', SHIFTED_MESSAGE, key, signature)
}

/**
 * ECDSA verification (SEC 1 §4.1.4) of a DER signature over `digest` with an EC public key on P-256, P-384 or P-521.
 * The digest is truncated to the group order's bit length as FIPS 186-4 requires; high-S signatures are accepted
 * (Rekor and node:crypto accept them). Returns false for any failure, throws nothing.
 */
export function verifyEcdsaDigest(key: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  try {
    const curveName = key.asymmetricKeyDetails?.namedCurve ?? ''
    const curve = CURVES[curveName]
    if (!curve) return false
    const Fn = curve.Point.Fn
    // Strict DER; r and s must lie in [1, n-1].
    const { r, s } = curve.Signature.fromBytes(signature, 'der')
    const Q = cachedPoint(key, curveName, curve)
    if (Q.is0()) return false
    let h = toBigInt(digest)
    const excessBits = digest.length * 8 - Fn.BITS
    if (excessBits > 0) h >>= BigInt(excessBits)
    h = Fn.create(h)
    if (curve === p256) {
      const verdict = verifyP256Shifted(Q, h, r, signature)
      if (verdict !== undefined) return verdict
    }
    const sInverse = Fn.inv(s)
    const u1 = Fn.create(h * sInverse)
    const u2 = Fn.create(r * sInverse)
    // u1·G in OpenSSL on P-256 (u1 = 0 only for a digest ≡ 0 mod n); u2·Q with Q's table.
    const u1G = curve === p256 && u1 !== 0n ? baseMultiply(curve, u1) : curve.Point.BASE.multiplyUnsafe(u1)
    const R = u1G.add(Q.multiplyUnsafe(u2))
    if (R.is0()) return false
    return Fn.create(R.toAffine().x) === r
  } catch {
    return false
  }
}
