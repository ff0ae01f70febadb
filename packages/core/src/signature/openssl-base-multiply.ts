import { createECDH } from 'node:crypto'
import { toBigInt, toBytes } from './big-endian.js'

// One ECDH object per curve, reused: setPrivateKey replaces the scalar each call (calls never interleave: all sync).
const ecdhByCurve = new Map<string, ReturnType<typeof createECDH>>()

/**
 * u·G on the named curve, computed by OpenSSL: an ECDH object given u as its private key holds u·G as its public
 * key. OpenSSL's multiplication is constant-time and table-driven; on P-256 (the dedicated nistz256 code) it costs
 * about a tenth of the same multiplication in JavaScript. `u` must lie in [1, n-1].
 *
 * @param curveName OpenSSL's curve name (`prime256v1`, `secp384r1`, `secp521r1`)
 * @param scalarBytes the group order's length in bytes; `fieldBytes` the field element's
 * @returns the affine coordinates of u·G
 */
export function opensslBaseMultiply(
  curveName: string,
  u: bigint,
  scalarBytes: number,
  fieldBytes: number,
): { x: bigint; y: bigint } {
  let ecdh = ecdhByCurve.get(curveName)
  if (!ecdh) {
    ecdh = createECDH(curveName)
    ecdhByCurve.set(curveName, ecdh)
  }
  ecdh.setPrivateKey(toBytes(u, scalarBytes))
  // Uncompressed encoding: 0x04 ‖ x ‖ y.
  const encoded = ecdh.getPublicKey()
  return {
    x: toBigInt(encoded.subarray(1, 1 + fieldBytes)),
    y: toBigInt(encoded.subarray(1 + fieldBytes)),
  }
}
