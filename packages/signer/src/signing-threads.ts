import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { SignerError } from './errors.js'

/** @internal One digest to sign, as posted to a signing thread. */
export interface SigningRequest {
  id: number
  algorithm: 'ecdsa-p256' | 'ecdsa-p384'
  secret: Uint8Array
  digest: Uint8Array
}

/** @internal A signing thread's answer to one request. */
export type SigningReply = { id: number; signature: Uint8Array } | { id: number; error: string }

/**
 * Worker threads that sign bare ECDSA digests off the main thread, so a busy signing process uses more than one
 * core: the main thread keeps the log, the records and HTTP, the threads do the signer's elliptic-curve work.
 * Requests made in the same event-loop turn travel as one message per thread. Signatures are the same bytes the main thread
 * would make (RFC 6979 nonces). Hand one pool to {@link createLocalKeyProvider} via `signingThreads`; whoever
 * creates it closes it.
 */
export interface SigningThreads {
  /** Number of threads. */
  readonly size: number
  /** DER ECDSA signature over `digest` with the private scalar `secret`. */
  signEcdsaDigest(
    algorithm: 'ecdsa-p256' | 'ecdsa-p384',
    secret: Uint8Array,
    digest: Uint8Array,
  ): Promise<Uint8Array>
  /** Stops the threads; requests still in flight fail with `SIGNER_SIGNING_FAILED`. */
  close(): Promise<void>
}

/** A sensible default thread count: one fewer than the cores, none on a single core. */
export function defaultSigningThreadCount(): number {
  return Math.max(0, Math.min(4, availableParallelism() - 1))
}

interface Pending {
  resolve: (signature: Uint8Array) => void
  reject: (error: unknown) => void
}

interface Thread {
  worker: Worker
  inFlight: Map<number, Pending>
}

function signingFailed(message: string, cause?: unknown): SignerError {
  return new SignerError({ code: 'SIGNER_SIGNING_FAILED', message, ...(cause ? { cause } : {}) })
}

/** The thread body: the built file beside this module, or the TypeScript source (through tsx) in tests. */
function spawnWorker(): Worker {
  const here = import.meta.url
  if (here.endsWith('.ts')) {
    return new Worker(new URL('./signing-worker.ts', here), { execArgv: ['--import', 'tsx'] })
  }
  return new Worker(new URL('./signing-worker.js', here))
}

/**
 * Starts `size` signing threads (at least one).
 * @example
 * const threads = createSigningThreads(defaultSigningThreadCount() || 1)
 * const provider = createLocalKeyProvider(pem, { signingThreads: threads })
 */
export function createSigningThreads(size: number): SigningThreads {
  if (!Number.isInteger(size) || size < 1 || size > 64) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: 'signing threads: expected 1 to 64 threads',
    })
  }
  const threads: Thread[] = []
  const queued: Array<{ request: SigningRequest; pending: Pending }> = []
  let nextId = 0
  let flushScheduled = false
  let closed = false

  const settle = (thread: Thread, replies: SigningReply[]) => {
    for (const reply of replies) {
      const pending = thread.inFlight.get(reply.id)
      if (!pending) continue
      thread.inFlight.delete(reply.id)
      if ('signature' in reply) pending.resolve(new Uint8Array(reply.signature))
      else pending.reject(signingFailed(`signing on a signing thread failed: ${reply.error}`))
    }
    // An idle thread must not keep the process alive; a busy one must, or its answer could be lost at exit.
    if (thread.inFlight.size === 0) thread.worker.unref()
  }

  const failThread = (thread: Thread, cause: unknown) => {
    const index = threads.indexOf(thread)
    if (index >= 0) threads.splice(index, 1) // the next flush starts a fresh one
    for (const pending of thread.inFlight.values())
      pending.reject(signingFailed('a signing thread stopped', cause))
    thread.inFlight.clear()
  }

  const startThread = (): Thread => {
    const thread: Thread = { worker: spawnWorker(), inFlight: new Map() }
    thread.worker.on('message', (replies: SigningReply[]) => settle(thread, replies))
    thread.worker.on('error', (error) => failThread(thread, error))
    thread.worker.on('exit', (code) => failThread(thread, new Error(`exit code ${code}`)))
    thread.worker.unref()
    threads.push(thread)
    return thread
  }

  const flush = () => {
    flushScheduled = false
    if (queued.length === 0) return
    while (!closed && threads.length < size) startThread()
    // Spread this tick's requests over the threads, fewest in flight first.
    const batch = queued.splice(0)
    const perThread = Math.ceil(batch.length / threads.length)
    const byLoad = [...threads].sort((a, b) => a.inFlight.size - b.inFlight.size)
    for (const [position, thread] of byLoad.entries()) {
      const share = batch.slice(position * perThread, (position + 1) * perThread)
      if (share.length === 0) break
      for (const { request, pending } of share) thread.inFlight.set(request.id, pending)
      thread.worker.ref()
      thread.worker.postMessage(share.map(({ request }) => request))
    }
  }

  return {
    size,
    signEcdsaDigest(algorithm, secret, digest) {
      if (closed) return Promise.reject(signingFailed('the signing threads are closed'))
      return new Promise<Uint8Array>((resolve, reject) => {
        queued.push({ request: { id: nextId++, algorithm, secret, digest }, pending: { resolve, reject } })
        if (!flushScheduled) {
          flushScheduled = true
          // After this round of I/O callbacks, so concurrent callers share one message per thread.
          setImmediate(flush)
        }
      })
    },
    async close() {
      closed = true
      for (const { pending } of queued.splice(0))
        pending.reject(signingFailed('the signing threads are closed'))
      await Promise.all(threads.splice(0).map((thread) => thread.worker.terminate()))
    },
  }
}
