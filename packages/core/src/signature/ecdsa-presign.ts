import { randomBytes } from 'node:crypto'
import { toBigInt, toBytes } from './big-endian.js'
import {
  baseMultiplyX,
  bits2int,
  CURVES,
  type CurveSpec,
  encodeSignature,
  invertAll,
  mod,
  privateScalar,
} from './ecdsa-digest-sign.js'

// ECDSA in two halves. Everything expensive in a signature — the nonce k, R = k·G, r = x(R) mod n and k⁻¹ — depends
// on no message, so it can be made ahead of time, elsewhere (a worker thread), in bulk (one shared inversion): a
// presignature (r, k⁻¹). When a message arrives, s = k⁻¹(h + r·d) mod n is two multiplications. A presignature is
// secret (with its signature it gives away the key) and is used at most once; the nonce is random (FIPS 186-4
// B.5.1: 64 extra bits, reduced), as node:crypto's own signatures are, so this fits signatures that need not be
// deterministic — a log's signed entry timestamps — not the signer's, whose RFC 6979 nonces keep one digest's
// signature, and so its log entry, the same.

/** The message-independent half of one ECDSA signature: r and k⁻¹ for a random nonce k. Secret; use once. */
export interface EcdsaPresignature {
  algorithm: 'ecdsa-p256' | 'ecdsa-p384'
  r: bigint
  kInverse: bigint
}

/**
 * `count` presignatures for `algorithm`, packed as `count` × (r ‖ k⁻¹), each the group order's length in bytes
 * (read them with {@link readEcdsaPresignatures}): random nonces, R = k·G in OpenSSL, one inversion for all.
 */
export function createEcdsaPresignatures(
  algorithm: 'ecdsa-p256' | 'ecdsa-p384',
  count: number,
): Uint8Array<ArrayBuffer> {
  const spec = CURVES[algorithm]
  const nonces: bigint[] = []
  const xs: bigint[] = []
  const random = randomBytes(count * (spec.bytes + 8))
  for (let index = 0; index < count; index++) {
    const k = randomNonce(spec, random.subarray(index * (spec.bytes + 8), (index + 1) * (spec.bytes + 8)))
    const r = mod(baseMultiplyX(spec, k), spec.order)
    if (r === 0n) continue // about never; a shorter batch is fine
    nonces.push(k)
    xs.push(r)
  }
  const inverses = invertAll(nonces, spec)
  const packed = new Uint8Array(nonces.length * 2 * spec.bytes)
  xs.forEach((r, index) => {
    packed.set(toBytes(r, spec.bytes), 2 * index * spec.bytes)
    packed.set(toBytes(inverses[index]!, spec.bytes), (2 * index + 1) * spec.bytes)
  })
  return packed
}

/** k in [1, n−1] from `bytes` (the order's length + 8): FIPS 186-4 B.5.1, k = c mod (n − 1) + 1. */
function randomNonce(spec: CurveSpec, bytes: Uint8Array): bigint {
  return mod(toBigInt(bytes), spec.order - 1n) + 1n
}

/** The presignatures packed by {@link createEcdsaPresignatures}. @throws RangeError for a length that is not theirs */
export function readEcdsaPresignatures(
  algorithm: 'ecdsa-p256' | 'ecdsa-p384',
  packed: Uint8Array,
): EcdsaPresignature[] {
  const { bytes } = CURVES[algorithm]
  if (packed.length % (2 * bytes) !== 0) throw new RangeError('not a whole number of presignatures')
  const presignatures: EcdsaPresignature[] = []
  for (let offset = 0; offset < packed.length; offset += 2 * bytes) {
    presignatures.push({
      algorithm,
      r: toBigInt(packed.subarray(offset, offset + bytes)),
      kInverse: toBigInt(packed.subarray(offset + bytes, offset + 2 * bytes)),
    })
  }
  return presignatures
}

/**
 * The ECDSA signature (DER, low S) over `digest` with the private scalar `secret`, finished from `presignature`:
 * s = k⁻¹(h + r·d) mod n. Verifies like any ECDSA signature over that digest (over the message, for verifiers that
 * hash it themselves). The caller must never use `presignature` again.
 * @throws RangeError for a scalar out of range or (about never) s = 0: sign another way then
 */
export function signWithEcdsaPresignature(
  presignature: EcdsaPresignature,
  secret: Uint8Array,
  digest: Uint8Array,
): Uint8Array {
  const spec = CURVES[presignature.algorithm]
  const n = spec.order
  const d = privateScalar(spec, secret)
  const { r, kInverse } = presignature
  const s = mod(kInverse * (mod(bits2int(digest, spec.bits), n) + r * d), n)
  if (s === 0n) throw new RangeError('this presignature gives s = 0')
  return encodeSignature(spec, r, s)
}
