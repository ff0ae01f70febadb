import { createHmac, randomBytes } from 'node:crypto'
import { p256, p384 } from '@noble/curves/nist.js'
import { toBigInt, toBytes } from './big-endian.js'
import { opensslBaseMultiply } from './openssl-base-multiply.js'

// ECDSA over a digest the caller already computed (a bare `sha256:` input, a file hashed as a stream).
// node:crypto cannot sign a prehashed ECDSA input, and signing entirely in pure JS (@noble/curves) costs ~20x
// OpenSSL, almost all of it in the scalar multiplication k·G. So the one expensive step runs in OpenSSL: an ECDH
// object given k as its private key computes k·G (constant-time, table-driven) as its public key. The rest is
// SEC 1 §4.1.3 in a few field operations: r = x(k·G) mod n, s = k⁻¹(h + r·d) mod n.
// The nonce is RFC 6979's (HMAC-DRBG over the key and digest, with the curve's hash as @noble/curves uses it), so
// signatures are deterministic and identical to @noble/curves' `sign(digest, d, { prehash: false })`: signing one
// digest twice with one key proposes the same log entry, which the service's idempotency relies on. S is
// normalised to the low half, as @noble/curves does.

type Curve = typeof p256 | typeof p384

interface CurveSpec {
  curve: Curve
  /** OpenSSL's name, for createECDH. */
  openssl: string
  /** The hash of RFC 6979's HMAC-DRBG (the curve's own hash, as @noble/curves uses it). */
  hmac: 'sha256' | 'sha384'
}

const CURVES: Record<'ecdsa-p256' | 'ecdsa-p384', CurveSpec> = {
  'ecdsa-p256': { curve: p256, openssl: 'prime256v1', hmac: 'sha256' },
  'ecdsa-p384': { curve: p384, openssl: 'secp384r1', hmac: 'sha384' },
}

/** RFC 6979 §2.3.2 bits2int: the leftmost qlen bits of `bytes` as an integer. */
function bits2int(bytes: Uint8Array, qlen: number): bigint {
  const value = toBigInt(bytes)
  const excess = bytes.length * 8 - qlen
  return excess > 0 ? value >> BigInt(excess) : value
}

/** RFC 6979 §3.2 nonces for (d, h1), in order; the caller takes the first that yields a valid signature. */
function* rfc6979Nonces(spec: CurveSpec, d: bigint, h1: Uint8Array): Generator<bigint> {
  const { Fn } = spec.curve.Point
  const qlen = Fn.BITS
  const rlen = Fn.BYTES
  const x = toBytes(d, rlen)
  const h = toBytes(Fn.create(bits2int(h1, qlen)), rlen)
  const hmac = (key: Buffer, ...parts: Uint8Array[]) => {
    const mac = createHmac(spec.hmac, key)
    for (const part of parts) mac.update(part)
    return mac.digest()
  }
  const hlen = spec.hmac === 'sha256' ? 32 : 48
  let v = Buffer.alloc(hlen, 0x01)
  let k = Buffer.alloc(hlen, 0x00)
  k = hmac(k, v, Buffer.of(0x00), x, h)
  v = hmac(k, v)
  k = hmac(k, v, Buffer.of(0x01), x, h)
  v = hmac(k, v)
  for (;;) {
    const blocks: Buffer[] = []
    for (let bits = 0; bits < qlen; bits += hlen * 8) {
      v = hmac(k, v)
      blocks.push(v)
    }
    const candidate = bits2int(Buffer.concat(blocks), qlen)
    if (candidate >= 1n && candidate < Fn.ORDER) yield candidate
    k = hmac(k, v, Buffer.of(0x00))
    v = hmac(k, v)
  }
}

/** x(k·G), computed by OpenSSL (constant-time: k is the secret nonce). */
function baseMultiplyX(spec: CurveSpec, k: bigint): bigint {
  const { Fn, Fp } = spec.curve.Point
  return opensslBaseMultiply(spec.openssl, k, Fn.BYTES, Fp.BYTES).x
}

/**
 * ECDSA signature (DER) over a digest with the private scalar `secret` (big-endian bytes), as @noble/curves'
 * `sign(digest, secret, { prehash: false, format: 'der' })` makes it — same RFC 6979 nonce, same result — with
 * the scalar multiplication in OpenSSL. The digest is truncated to the group order's bit length (FIPS 186-4).
 */
export function signEcdsaDigest(
  algorithm: 'ecdsa-p256' | 'ecdsa-p384',
  secret: Uint8Array,
  digest: Uint8Array,
): Uint8Array {
  const spec = CURVES[algorithm]
  const { Fn } = spec.curve.Point
  const d = toBigInt(secret)
  if (d <= 0n || d >= Fn.ORDER) throw new RangeError('the private scalar is out of range')
  const h = Fn.create(bits2int(digest, Fn.BITS))
  for (const k of rfc6979Nonces(spec, d, digest)) {
    const r = Fn.create(baseMultiplyX(spec, k))
    if (r === 0n) continue
    // k⁻¹ through a random blinding factor b: (k·b)⁻¹·b, so the (variable-time) inversion never sees k itself.
    const b = Fn.create(toBigInt(randomBytes(Fn.BYTES + 8)))
    if (b === 0n) continue
    const kInverse = Fn.mul(Fn.inv(Fn.mul(k, b)), b)
    const s = Fn.mul(kInverse, Fn.add(h, Fn.mul(r, d)))
    if (s === 0n) continue
    // Low-S form, as @noble/curves signs by default (verifiers accept either; this keeps signatures identical).
    return new spec.curve.Signature(r, s > Fn.ORDER >> 1n ? Fn.ORDER - s : s).toBytes('der')
  }
  throw new Error('unreachable: the nonce generator is infinite')
}
