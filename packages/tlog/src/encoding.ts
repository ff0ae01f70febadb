import { createHash } from 'node:crypto'

// Strict hex/base64 and byte comparison are core's (`@certus-trust/core`); only the hash-by-name helper is local.

/** Hash of some bytes with a node:crypto algorithm name. */
export function digestOf(algorithm: string, data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash(algorithm).update(data).digest())
}
