// The body of a signing thread (see signing-threads.ts): signs a batch of bare ECDSA digests and answers with one
// message, in the batch's order. Nothing here is reachable from a request: the thread only ever sees what its
// pool, inside this process, posts to it.
import { signEcdsaDigest } from '@certus-trust/core/signing'
import { serveThreadPool } from '@certus-trust/core/thread-pool'
import { packBytes, type SigningBatch, type SigningBatchReply } from './signing-threads.js'

function signBatch(batch: SigningBatch): SigningBatchReply {
  const count = batch.keyIndex.length
  const signatures: Uint8Array[] = []
  let errors: Array<string | null> | undefined
  for (let index = 0; index < count; index++) {
    const key = batch.keys[batch.keyIndex[index]!]!
    const digest = batch.digests.subarray(batch.offsets[index], batch.offsets[index + 1])
    try {
      signatures.push(signEcdsaDigest(key.algorithm, key.secret, digest))
    } catch (error) {
      // Only the message crosses back: never the request (it holds the private scalar).
      errors ??= new Array<string | null>(count).fill(null)
      errors[index] = error instanceof Error ? error.message : 'signing failed'
      signatures.push(new Uint8Array(0))
    }
  }
  const { bytes: packed, offsets } = packBytes(signatures)
  return { signatures: packed, offsets, ...(errors ? { errors } : {}) }
}

serveThreadPool((batch) => {
  const reply = signBatch(batch as SigningBatch)
  return { body: reply, transfer: [reply.signatures.buffer, reply.offsets.buffer] }
})
