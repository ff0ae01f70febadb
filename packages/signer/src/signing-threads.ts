import { availableParallelism } from 'node:os'
import type { Worker } from 'node:worker_threads'
import { signEcdsaDigest as signInline } from '@certus-trust/core/signing'
import { createThreadPool, spawnThreadBeside, type ThreadPoolTask } from '@certus-trust/core/thread-pool'
import { SignerError } from './errors.js'
import { createPresignatureSupply, type EcdsaPresignatureSupply } from './presignature-supply.js'

/**
 * @internal A batch as posted to a signing thread: its keys once each, then per item the key's position and the
 * digest, packed into one buffer that is transferred, not copied.
 */
export interface SigningBatch {
  keys: Array<{ algorithm: 'ecdsa-p256' | 'ecdsa-p384'; secret: Uint8Array }>
  /** Per item: index into `keys`. */
  keyIndex: Uint8Array<ArrayBuffer>
  /** Per item: the start of its digest in `digests` (item i's digest ends where item i+1's starts). */
  offsets: Uint32Array<ArrayBuffer>
  digests: Uint8Array<ArrayBuffer>
  /** Presignatures to make (see {@link SigningThreads.presignatures}), in the batch's order of such requests. */
  presign?: Array<{ algorithm: 'ecdsa-p256' | 'ecdsa-p384'; count: number }>
}

/** @internal A signing thread's answer to a batch, items in the batch's order. */
export interface SigningBatchReply {
  /** DER signatures, packed; item i's is `signatures[offsets[i], offsets[i + 1])`. */
  signatures: Uint8Array<ArrayBuffer>
  offsets: Uint32Array<ArrayBuffer>
  /** Per item: why it failed (never key material), or null. Absent when every item was signed. */
  errors?: Array<string | null>
  /** Per presignature request: the presignatures, packed as `createEcdsaPresignatures` packs them. */
  presignatures?: Array<Uint8Array<ArrayBuffer>>
}

/**
 * Worker threads that sign bare ECDSA digests off the main thread, so a busy signing process uses more than one
 * core: the main thread keeps the log, the records and HTTP, the threads do the signer's elliptic-curve work.
 * Requests made in the same event-loop turn travel as one message per thread. Signatures are the same bytes the
 * main thread would make (RFC 6979 nonces). Hand one pool to {@link createLocalKeyProvider} via `signingThreads`; whoever
 * creates it closes it.
 */
export interface SigningThreads {
  /** Number of threads when all run. */
  readonly size: number
  /** Threads running now: 0 until a turn needs them, and again once they have idled out. */
  readonly running: number
  /** DER ECDSA signature over `digest` with the private scalar `secret`. */
  signEcdsaDigest(
    algorithm: 'ecdsa-p256' | 'ecdsa-p384',
    secret: Uint8Array,
    digest: Uint8Array,
  ): Promise<Uint8Array>
  /**
   * The stock of ECDSA presignatures for `algorithm` these threads keep topped up while they run (one supply per
   * algorithm), for signatures that need no deterministic nonce: the embedded log's SETs and checkpoints.
   */
  presignatures(algorithm: 'ecdsa-p256' | 'ecdsa-p384'): EcdsaPresignatureSupply
  /** Stops the threads; requests still in flight fail with `SIGNER_SIGNING_FAILED`. */
  close(): Promise<void>
}

/** When threads start and stop (see {@link createSigningThreads}). */
export interface SigningThreadsOptions {
  /**
   * While no thread runs, an event-loop turn that queues fewer digests than this signs them inline, on the calling
   * thread; a turn with at least this many starts all `size` threads, which then take every turn until they idle
   * out. A turn that queues many digests is the sign that the calling thread is falling behind; a lightly loaded
   * process never starts a thread (each costs ~15 MB RSS) and pays no round trip.
   * @default 1 (every digest goes to a thread)
   */
  minBatch?: number
  /**
   * A thread with no work for this long exits (unref'd timer); the next turn that needs threads starts it again.
   * `0` keeps threads until {@link SigningThreads.close}.
   * @default 30_000
   */
  idleTimeoutMs?: number
}

/** @internal Byte strings packed into one transferable buffer; part i is `bytes[offsets[i], offsets[i + 1])`. */
export function packBytes(parts: Uint8Array[]): {
  bytes: Uint8Array<ArrayBuffer>
  offsets: Uint32Array<ArrayBuffer>
} {
  const offsets = new Uint32Array(parts.length + 1)
  for (let index = 0; index < parts.length; index++) {
    offsets[index + 1] = offsets[index]! + parts[index]!.length
  }
  const bytes = new Uint8Array(offsets[parts.length]!)
  for (let index = 0; index < parts.length; index++) bytes.set(parts[index]!, offsets[index])
  return { bytes, offsets }
}

/** One message for a thread: each distinct key once, the digests packed into one transferable buffer. */
function packBatch(all: Item[]): SigningBatch {
  const items = all.filter(isSignItem)
  const presign = all
    .filter((item): item is PresignItem => !isSignItem(item))
    .map(({ algorithm, presign: count }) => ({ algorithm, count }))
  const keys: SigningBatch['keys'] = []
  const keyPositions = new Map<Uint8Array, number>()
  const keyIndex = new Uint8Array(items.length)
  items.forEach((item, index) => {
    let position = keyPositions.get(item.secret)
    if (position === undefined) {
      position = keys.length
      // A copy in its own buffer: a Buffer view may sit in Node's shared pool, and posting a view clones the whole
      // pool slab (other data included) into the thread.
      keys.push({ algorithm: item.algorithm, secret: new Uint8Array(item.secret) })
      keyPositions.set(item.secret, position)
    }
    keyIndex[index] = position
  })
  const { bytes: digests, offsets } = packBytes(items.map((item) => item.digest))
  return { keys, keyIndex, offsets, digests, ...(presign.length > 0 ? { presign } : {}) }
}

/**
 * A sensible default thread count: one per core (at most 4), none on a single core. Not one fewer than the cores:
 * a turn's requests are split over the threads, so more threads shorten each batch's wait even when the main thread
 * shares a core with one of them (2 cores: 2 threads signed ~13 % faster in memory and ~20 % on PostgreSQL than 1).
 */
export function defaultSigningThreadCount(): number {
  const cores = availableParallelism()
  return cores < 2 ? 0 : Math.min(4, cores)
}

interface SignItem {
  algorithm: 'ecdsa-p256' | 'ecdsa-p384'
  secret: Uint8Array
  digest: Uint8Array
}

/** A request for `presign` presignatures. */
interface PresignItem {
  algorithm: 'ecdsa-p256' | 'ecdsa-p384'
  presign: number
}

type Item = SignItem | PresignItem

function isSignItem(item: Item): item is SignItem {
  return 'digest' in item
}

function signingFailed(message: string, cause?: unknown): SignerError {
  return new SignerError({ code: 'SIGNER_SIGNING_FAILED', message, ...(cause ? { cause } : {}) })
}

/** The thread body: the built file beside this module, or the TypeScript source (through tsx) in tests. */
function spawnWorker(): Worker {
  // A thread signs 32-byte digests: a small heap is plenty, and each thread's default young generation (up to
  // 16 MB per semi-space) would otherwise add tens of MB of RSS to a server that runs one per core. Not smaller than
  // 8 MB, though: the curve arithmetic allocates a BigInt per step, and with 2 MB a busy thread collected its young
  // generation ~50 times a second, a fifth of its time (`--trace-gc`, HTTP sign at 64 connections: 260 scavenges,
  // ~230 ms per thread in 5 s; with 8 MB, 60–84 and 80–130 ms; server CPU per request −4 %, rate +5 %).
  return spawnThreadBeside(import.meta.url, new URL('./signing-worker.js', import.meta.url), {
    resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 },
  })
}

/** What the generic pool needs to sign: packing, unpacking, inline signing, the typed error. */
const signingTask: ThreadPoolTask<Item, Uint8Array> = {
  spawn: spawnWorker,
  pack(items) {
    const body = packBatch(items)
    return { body, transfer: [body.digests.buffer, body.offsets.buffer, body.keyIndex.buffer] }
  },
  unpack(reply, items) {
    const { signatures, offsets, errors, presignatures } = reply as SigningBatchReply
    let signed = 0
    let presigned = 0
    return items.map((item) => {
      if (!isSignItem(item)) return { ok: true, value: presignatures?.[presigned++] ?? new Uint8Array(0) }
      const index = signed++
      const error = errors?.[index]
      return error
        ? { ok: false, error: signingFailed(`signing on a signing thread failed: ${error}`) }
        : { ok: true, value: signatures.slice(offsets[index], offsets[index + 1]) }
    })
  },
  async runInline(item) {
    // Presignatures are made off the calling thread or not at all: making them here would cost what they save.
    if (!isSignItem(item)) return new Uint8Array(0)
    try {
      return signInline(item.algorithm, item.secret, item.digest)
    } catch (error) {
      throw signingFailed(`signing failed: ${error instanceof Error ? error.message : 'unknown error'}`)
    }
  },
  stopped: (reason, cause) =>
    reason === 'closed'
      ? signingFailed('the signing threads are closed')
      : reason === 'stopped'
        ? signingFailed('a signing thread stopped', cause)
        : signingFailed(`a signing thread failed: ${(cause as Error).message}`),
}

/**
 * A pool of `size` signing threads (at least one). Threads start when a turn needs them
 * ({@link SigningThreadsOptions.minBatch}) and exit after {@link SigningThreadsOptions.idleTimeoutMs} without work.
 * @example
 * const threads = createSigningThreads(defaultSigningThreadCount() || 1, { minBatch: 16 })
 * const provider = createLocalKeyProvider(pem, { signingThreads: threads })
 */
export function createSigningThreads(size: number, options: SigningThreadsOptions = {}): SigningThreads {
  if (!Number.isInteger(size) || size < 1 || size > 64) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: 'signing threads: expected 1 to 64 threads',
    })
  }
  const pool = createThreadPool(signingTask, { size, ...options })
  const supplies = new Map<'ecdsa-p256' | 'ecdsa-p384', EcdsaPresignatureSupply>()
  return {
    size,
    get running() {
      return pool.running
    },
    signEcdsaDigest: (algorithm, secret, digest) => pool.run({ algorithm, secret, digest }),
    presignatures(algorithm) {
      let supply = supplies.get(algorithm)
      if (!supply) {
        supply = createPresignatureSupply(algorithm, pool)
        supplies.set(algorithm, supply)
      }
      return supply
    },
    close: () => pool.close(),
  }
}
