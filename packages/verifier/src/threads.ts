import type { Worker } from 'node:worker_threads'
import { createThreadPool, spawnThreadBeside, type ThreadPoolTask } from '@certus-trust/core/thread-pool'
import type { ArtifactInput } from './artifact.js'
import { VerifierError, type VerifierErrorCode } from './errors.js'
import type { VerificationPolicy } from './policy.js'
import {
  createVerifier,
  type EntryLookup,
  type VerificationResult,
  type Verifier,
  type VerifierOptions,
  verifyEach,
} from './verifier.js'

/** The plain verifier options a verification thread uses too (plain data: they cross to each thread). */
export type VerifierThreadOptions = Pick<
  VerifierOptions,
  'ctlogThreshold' | 'tlogThreshold' | 'timestampThreshold' | 'unverifiedTimestamps' | 'clockSkewMs'
>

/** Options of {@link createVerifierThreads}. */
export interface VerifierThreadsOptions extends VerifierThreadOptions {
  /** The TrustedRoot JSON (text or object): each thread builds its own verifier from it, once. */
  trustedRoot: string | Record<string, unknown>
  /**
   * Online entry check, answered on the calling thread (where the log lives): a thread asks for the UUID and
   * waits for the answer. @default none (offline)
   */
  online?: EntryLookup
  /** Threads when all run, 1 to 64. */
  size: number
  /**
   * While no thread runs, an event-loop turn with fewer verifications than this runs them on the calling thread
   * (same verifier, same verdicts); a turn with at least this many starts the threads. @default 1
   */
  minBatch?: number
  /** A thread with no work for this long exits (unref'd timer); `0` keeps threads until close. @default 30_000 */
  idleTimeoutMs?: number
}

/** A {@link Verifier} whose verifications run on worker threads; whoever creates it closes it. */
export interface VerifierThreads extends Verifier {
  /** Number of threads when all run. */
  readonly size: number
  /** Threads running now. */
  readonly running: number
  /** Stops the threads; verifications still queued or in flight, and later ones, fail with `VERIFIER_UNSUPPORTED`. */
  close(): Promise<void>
}

/** @internal What a verification thread is started with (`workerData`). */
export interface VerifyThreadData {
  trustedRoot: string | Record<string, unknown>
  options: VerifierThreadOptions
  /** Whether the thread asks the calling thread for online entry lookups. */
  online: boolean
}

/** @internal One verification as posted to a thread. */
export interface VerifyTask {
  bundle: unknown
  artifact: ArtifactInput
  policy: VerificationPolicy
}

/** @internal A thread's verdict for one verification: the result, or the VerifierError's code and message. */
export type VerifyVerdict =
  | { ok: true; result: VerificationResult }
  | { ok: false; code: VerifierErrorCode; message: string }

/** @internal A thread's question: the online entry with this UUID. Its answer: `{ body }` or null. */
export interface EntryQuestion {
  uuid: string
}

/**
 * Whether a verification can run on a thread. Digests and bytes cross; a file path (read here, where the caller
 * expects it read), a stream and a KeyObject policy key (its import is cached by identity here) stay inline.
 */
function crossesThreads(task: VerifyTask): boolean {
  const { artifact, policy } = task
  const artifactCrosses =
    typeof artifact === 'string' ||
    artifact instanceof Uint8Array ||
    (typeof artifact === 'object' &&
      artifact !== null &&
      'digest' in artifact &&
      typeof artifact.digest === 'string' &&
      Object.keys(artifact).length === 1)
  const key = (policy as { publicKey?: unknown } | null)?.publicKey
  const policyCrosses = key === undefined || typeof key === 'string' || key instanceof Uint8Array
  return artifactCrosses && policyCrosses
}

function threadsStopped(message: string, cause?: unknown): VerifierError {
  // VERIFIER_UNSUPPORTED: the verification did not happen, so the bundle is not verified (a verdict, never "valid").
  return new VerifierError({ code: 'VERIFIER_UNSUPPORTED', message, ...(cause ? { cause } : {}) })
}

/**
 * A pool of `size` verification threads behind the {@link Verifier} interface, so a busy verifying process (the
 * server's `POST /v1/verify`) uses more than one core: the calling thread keeps HTTP and the log, the threads parse
 * and check bundles. Verdicts are those of a plain verifier with the same options; a failure is a VerifierError
 * with the same code and message. Verifications that cannot cross to a thread (a file path or stream artifact, a
 * KeyObject policy key) run on the calling thread.
 * @example
 * const verifier = createVerifierThreads({ trustedRoot: rootJson, size: 2, minBatch: 4 })
 * const result = await verifier.verify(bundle, { digest: 'sha256:…' }, { publicKey: pem })
 * await verifier.close()
 */
export function createVerifierThreads(options: VerifierThreadsOptions): VerifierThreads {
  const { trustedRoot, online, size, minBatch, idleTimeoutMs, ...plain } = options
  if (!Number.isInteger(size) || size < 1 || size > 64) {
    throw new VerifierError({
      code: 'VERIFIER_INVALID_POLICY',
      message: 'verifier threads: expected 1 to 64 threads',
    })
  }
  // The calling thread's own verifier: trust material for callers, and the inline path.
  const inline = createVerifier({ trustedRoot, ...plain, ...(online ? { online } : {}) })
  const workerData: VerifyThreadData = { trustedRoot, options: plain, online: online !== undefined }
  const pool = createThreadPool(verifyTask(inline, workerData, online), {
    size,
    ...(minBatch !== undefined ? { minBatch } : {}),
    ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
  })
  let closed = false
  const verify: Verifier['verify'] = (bundle, artifact, policy) => {
    if (closed) return Promise.reject(threadsStopped('the verifier threads are closed'))
    const task = { bundle, artifact, policy }
    return crossesThreads(task) ? pool.run(task) : inline.verify(bundle, artifact, policy)
  }
  return {
    trustMaterial: inline.trustMaterial,
    size,
    get running() {
      return pool.running
    },
    verify,
    verifyBatch: (items, batchOptions) => verifyEach(verify, items, batchOptions),
    close: () => {
      closed = true
      return pool.close()
    },
  }
}

/** What the generic pool needs to verify: the thread body, verdicts back to results or errors, inline runs. */
function verifyTask(
  inline: Verifier,
  workerData: VerifyThreadData,
  online: EntryLookup | undefined,
): ThreadPoolTask<VerifyTask, VerificationResult> {
  return {
    spawn: (): Worker =>
      // Bundles are a few KB and the verifier's caches are bounded: a small heap, as for the signing threads (ADR
      // 0014), with room in the old generation for the trust material and the leaf→issuer chain cache.
      spawnThreadBeside(import.meta.url, new URL('./verify-worker.js', import.meta.url), {
        resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 },
        workerData,
      }),
    pack: (items) => ({ body: items }),
    unpack: (reply, items) =>
      items.map((_, index) => {
        const verdict = (reply as Array<VerifyVerdict | undefined>)[index]
        if (!verdict) return { ok: false, error: threadsStopped('a verification thread gave no verdict') }
        return verdict.ok
          ? { ok: true, value: verdict.result }
          : { ok: false, error: new VerifierError({ code: verdict.code, message: verdict.message }) }
      }),
    runInline: (item) => inline.verify(item.bundle, item.artifact, item.policy),
    stopped: (reason, cause) =>
      reason === 'closed'
        ? threadsStopped('the verifier threads are closed')
        : reason === 'stopped'
          ? threadsStopped('a verification thread stopped', cause)
          : threadsStopped(`a verification thread failed: ${(cause as Error).message}`),
    answer: async (question) => {
      const found = await online?.getEntry((question as EntryQuestion).uuid)
      // Only what the check reads crosses back (a log's entry object carries more).
      return found ? { body: found.body } : null
    },
  }
}
