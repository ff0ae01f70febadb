import { createHmac, type KeyObject, randomBytes } from 'node:crypto'
import { derInteger, derSequence } from '../der/writer.js'
import { toBigInt, toBytes } from './big-endian.js'
import { opensslBaseMultiply } from './openssl-base-multiply.js'

// ECDSA over a digest the caller already computed (a bare `sha256:` input, a file hashed as a stream).
// node:crypto cannot sign a prehashed ECDSA input, and signing entirely in pure JS (@noble/curves) costs ~20x
// OpenSSL, almost all of it in the scalar multiplication k·G. So the one expensive step runs in OpenSSL: an ECDH
// object given k as its private key computes k·G (constant-time, table-driven) as its public key. The rest is
// SEC 1 §4.1.3 in a few operations modulo the group order: r = x(k·G) mod n, s = k⁻¹(h + r·d) mod n.
// The nonce is RFC 6979's (HMAC-DRBG over the key and digest, with the curve's hash as @noble/curves uses it), so
// signatures are deterministic and identical to @noble/curves' `sign(digest, d, { prehash: false })`: signing one
// digest twice with one key proposes the same log entry, which the service's idempotency relies on. S is
// normalised to the low half, as @noble/curves does.
// Start-up (issue 11): no @noble/curves here (plain bigint arithmetic modulo n), so signing — the step every
// `certus sign` of a file takes — does not load the curve library, whose curves are built as it loads.

/** @internal A curve's constants, as the ECDSA code here uses them. */
export interface CurveSpec {
  /** The group order n (FIPS 186-4 D.1.2.3 for P-256, D.1.2.4 for P-384). */
  order: bigint
  /** n's length in bits and bytes; `fieldBytes`: a coordinate's length in bytes. */
  bits: number
  bytes: number
  fieldBytes: number
  /** OpenSSL's name, for createECDH. */
  openssl: string
  /** The hash of RFC 6979's HMAC-DRBG (the curve's own hash, as @noble/curves uses it). */
  hmac: 'sha256' | 'sha384'
}

/** @internal */
export const CURVES: Record<'ecdsa-p256' | 'ecdsa-p384', CurveSpec> = {
  'ecdsa-p256': {
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    bits: 256,
    bytes: 32,
    fieldBytes: 32,
    openssl: 'prime256v1',
    hmac: 'sha256',
  },
  'ecdsa-p384': {
    order:
      0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    bits: 384,
    bytes: 48,
    fieldBytes: 48,
    openssl: 'secp384r1',
    hmac: 'sha384',
  },
}

/** @internal `value` mod `n`, in [0, n). */
export function mod(value: bigint, n: bigint): bigint {
  const rest = value % n
  return rest < 0n ? rest + n : rest
}

/** The inverse of `value` modulo the prime `n` (extended Euclid; `value` must not be 0 mod n). */
function invert(value: bigint, n: bigint): bigint {
  let [low, high] = [mod(value, n), n]
  let [lowCoefficient, highCoefficient] = [1n, 0n]
  while (low > 1n) {
    const quotient = high / low
    ;[low, high] = [high - quotient * low, low]
    ;[lowCoefficient, highCoefficient] = [highCoefficient - quotient * lowCoefficient, lowCoefficient]
  }
  if (low !== 1n) throw new RangeError('not invertible')
  return mod(lowCoefficient, n)
}

/** @internal RFC 6979 §2.3.2 bits2int: the leftmost qlen bits of `bytes` as an integer. */
export function bits2int(bytes: Uint8Array, qlen: number): bigint {
  const value = toBigInt(bytes)
  const excess = bytes.length * 8 - qlen
  return excess > 0 ? value >> BigInt(excess) : value
}

/** RFC 6979 §3.2 nonces for (d, h1), in order; the caller takes the first that yields a valid signature. */
function* rfc6979Nonces(spec: CurveSpec, d: bigint, h1: Uint8Array): Generator<bigint> {
  const qlen = spec.bits
  const rlen = spec.bytes
  const x = toBytes(d, rlen)
  const h = toBytes(mod(bits2int(h1, qlen), spec.order), rlen)
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
    if (candidate >= 1n && candidate < spec.order) yield candidate
    k = hmac(k, v, Buffer.of(0x00))
    v = hmac(k, v)
  }
}

/** @internal x(k·G), computed by OpenSSL (constant-time: k is the secret nonce). */
export function baseMultiplyX(spec: CurveSpec, k: bigint): bigint {
  return opensslBaseMultiply(spec.openssl, k, spec.bytes, spec.fieldBytes).x
}

// The scalar bytes of each EC private key, exported once per key object (a JWK export costs tens of µs).
const scalarBytes = new WeakMap<KeyObject, Uint8Array>()

/**
 * The private scalar of an EC private key as big-endian bytes — what {@link signEcdsaDigest}, the signing threads
 * and ECDSA presignatures take — exported once per key object. Secret: never log it.
 */
export function ecPrivateScalar(privateKey: KeyObject): Uint8Array {
  let scalar = scalarBytes.get(privateKey)
  if (!scalar) {
    scalar = new Uint8Array(Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url'))
    scalarBytes.set(privateKey, scalar)
  }
  return scalar
}

/** @internal The private scalar `secret` (big-endian bytes) as an integer, checked to lie in [1, n-1]. */
export function privateScalar(spec: CurveSpec, secret: Uint8Array): bigint {
  const d = toBigInt(secret)
  if (d <= 0n || d >= spec.order) throw new RangeError('the private scalar is out of range')
  return d
}

/**
 * @internal ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3), S in the low half as
 * @noble/curves signs.
 */
export function encodeSignature(spec: CurveSpec, r: bigint, s: bigint): Uint8Array {
  return derSequence(derInteger(r), derInteger(s > spec.order >> 1n ? spec.order - s : s))
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
  const n = spec.order
  const d = privateScalar(spec, secret)
  const h = mod(bits2int(digest, spec.bits), n)
  for (const k of rfc6979Nonces(spec, d, digest)) {
    const r = mod(baseMultiplyX(spec, k), n)
    if (r === 0n) continue
    // k⁻¹ through a random blinding factor, so the (variable-time) inversion never sees k itself.
    const kInverse = invertAll([k], spec)[0]!
    const s = mod(kInverse * (h + r * d), n)
    if (s === 0n) continue
    // Low-S form, as @noble/curves signs by default (verifiers accept either; this keeps signatures identical).
    return encodeSignature(spec, r, s)
  }
  throw new Error('unreachable: the nonce generator is infinite')
}

/** One digest for {@link signEcdsaDigests}: what {@link signEcdsaDigest} takes. */
export interface EcdsaDigestToSign {
  algorithm: 'ecdsa-p256' | 'ecdsa-p384'
  secret: Uint8Array
  digest: Uint8Array
}

/** An item whose first nonce gave a usable r, waiting for k⁻¹. */
interface Prepared {
  position: number
  d: bigint
  h: bigint
  k: bigint
  r: bigint
}

/**
 * Signs several digests, each exactly as {@link signEcdsaDigest} signs it (same bytes), for a fraction of the cost:
 * the nonces of one curve share a single modular inversion (Montgomery's trick: k₁⁻¹…kₘ⁻¹ from the inverse of their
 * product and 3(m−1) multiplications), which is ~40 % of signing one digest alone, and one blinding factor. An item
 * that fails (a scalar out of range) fails alone.
 *
 * @returns per item, in order, its DER signature or the Error signing it raised
 */
export function signEcdsaDigests(items: readonly EcdsaDigestToSign[]): Array<Uint8Array | Error> {
  const results: Array<Uint8Array | Error> = new Array(items.length)
  const byCurve = new Map<CurveSpec, Prepared[]>()
  const scalars = new Map<Uint8Array, bigint>() // one key signs most of a batch
  for (const [position, item] of items.entries()) {
    try {
      const spec = CURVES[item.algorithm]
      const d = scalars.get(item.secret) ?? privateScalar(spec, item.secret)
      scalars.set(item.secret, d)
      const k = rfc6979Nonces(spec, d, item.digest).next().value!
      const r = mod(baseMultiplyX(spec, k), spec.order)
      if (r === 0n) {
        // The next nonce (about never): the one-at-a-time path takes exactly that.
        results[position] = signEcdsaDigest(item.algorithm, item.secret, item.digest)
        continue
      }
      const h = mod(bits2int(item.digest, spec.bits), spec.order)
      const group = byCurve.get(spec) ?? []
      byCurve.set(spec, group)
      group.push({ position, d, h, k, r })
    } catch (error) {
      results[position] = error instanceof Error ? error : new Error(String(error))
    }
  }
  for (const [spec, group] of byCurve) {
    const n = spec.order
    const inverses = invertAll(
      group.map((prepared) => prepared.k),
      spec,
    )
    group.forEach(({ position, d, h, r }, index) => {
      const s = mod(inverses[index]! * (h + r * d), n)
      const item = items[position]!
      results[position] =
        s === 0n ? signEcdsaDigest(item.algorithm, item.secret, item.digest) : encodeSignature(spec, r, s)
    })
  }
  return results
}

/**
 * @internal The inverses of `values` (each in [1, n-1]) modulo the curve's order n with one inversion: of their
 * product, blinded by a random factor b as in {@link signEcdsaDigest} ((P·b)⁻¹·b), so the variable-time inversion
 * never sees the nonces.
 */
export function invertAll(values: bigint[], spec: CurveSpec): bigint[] {
  if (values.length === 0) return []
  const n = spec.order
  const prefix: bigint[] = new Array(values.length)
  let product = 1n
  values.forEach((value, index) => {
    product = mod(product * value, n)
    prefix[index] = product
  })
  let b = 0n
  while (b === 0n) b = mod(toBigInt(randomBytes(spec.bytes + 8)), n)
  let inverse = mod(invert(mod(product * b, n), n) * b, n) // (v₀…vₘ₋₁)⁻¹
  const inverses: bigint[] = new Array(values.length)
  for (let index = values.length - 1; index > 0; index--) {
    inverses[index] = mod(inverse * prefix[index - 1]!, n)
    inverse = mod(inverse * values[index]!, n)
  }
  inverses[0] = inverse
  return inverses
}
