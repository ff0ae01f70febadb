// The body of a signing thread (see signing-threads.ts): signs a batch of bare ECDSA digests and answers with one
// message, in the batch's order. Nothing here is reachable from a request: the thread only ever sees what its
// pool, inside this process, posts to it.
import { createEcdsaPresignatures, signEcdsaDigests } from '@certus-trust/core/signing'
import { lowerThisThreadPriority, serveThreadPool } from '@certus-trust/core/thread-pool'
import { packBytes, type SigningBatch, type SigningBatchReply } from './signing-threads.js'

function signBatch(batch: SigningBatch): SigningBatchReply {
  const count = batch.keyIndex.length
  // The whole batch at once: its nonces share one inversion (signEcdsaDigests), a third of each signature's cost.
  const results = signEcdsaDigests(
    Array.from({ length: count }, (_, index) => ({
      ...batch.keys[batch.keyIndex[index]!]!,
      digest: batch.digests.subarray(batch.offsets[index], batch.offsets[index + 1]),
    })),
  )
  let errors: Array<string | null> | undefined
  const signatures = results.map((result, index) => {
    if (!(result instanceof Error)) return result
    // Only the message crosses back: never the request (it holds the private scalar).
    errors ??= new Array<string | null>(count).fill(null)
    errors[index] = result.message
    return new Uint8Array(0)
  })
  const { bytes: packed, offsets } = packBytes(signatures)
  const presignatures = batch.presign?.map(({ algorithm, count }) =>
    createEcdsaPresignatures(algorithm, count),
  )
  return {
    signatures: packed,
    offsets,
    ...(errors ? { errors } : {}),
    ...(presignatures ? { presignatures } : {}),
  }
}

// The main thread — the log, the records, HTTP — is what a busy signing process waits on; a signing thread woken
// by its message should not take the main thread's core from it (HTTP sign, 64 connections, 2 cores: postMessage
// took up to 1.4 ms at the 90th percentile at nice 0, 60 µs at 10; the main thread was busy 85–89 % of the time
// instead of 81–85 %).
lowerThisThreadPriority(10)

serveThreadPool((batch) => {
  const reply = signBatch(batch as SigningBatch)
  const presignatures = (reply.presignatures ?? []).map((packed) => packed.buffer)
  return { body: reply, transfer: [reply.signatures.buffer, reply.offsets.buffer, ...presignatures] }
})
