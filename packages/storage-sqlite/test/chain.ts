import { createHash } from 'node:crypto'

/** The chained "root" of the test: SHA-256 over the previous root and the batch's leaf hashes. */
export function chainRoot(previous: Uint8Array, leafHashes: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256').update(previous)
  for (const leafHash of leafHashes) hash.update(leafHash)
  return hash.digest()
}

/** The leaf hash of a worker's `i`-th leaf of batch `batch` (the parent recomputes it). */
export function leafHashOf(body: string): Uint8Array {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from([0]), Buffer.from(body)]))
    .digest()
}
