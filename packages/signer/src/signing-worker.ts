// The body of a signing thread (see signing-threads.ts): signs batches of bare ECDSA digests and answers each
// batch with one message. Nothing here is reachable from a request: the thread only ever sees what its pool,
// inside this process, posts to it.
import { parentPort } from 'node:worker_threads'
import { signEcdsaDigest } from '@certus-trust/core/signature'
import type { SigningReply, SigningRequest } from './signing-threads.js'

function signOne(request: SigningRequest): SigningReply {
  try {
    return { id: request.id, signature: signEcdsaDigest(request.algorithm, request.secret, request.digest) }
  } catch (error) {
    // Only the message crosses back: never the request (it holds the private scalar).
    return { id: request.id, error: error instanceof Error ? error.message : 'signing failed' }
  }
}

parentPort?.on('message', (batch: SigningRequest[]) => {
  parentPort?.postMessage(batch.map(signOne))
})
