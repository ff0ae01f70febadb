import type { Logger } from '@certus-trust/core'
import { bytesEqual, fromBase64, toBase64 } from '@certus-trust/core'
import {
  type Checkpoint,
  hashLeaf,
  noteKeyId,
  type PublicKeyInput,
  parseCheckpoint,
  TILES_PATH_PREFIX,
  toPublicKey,
  verifyCheckpoint,
  verifyInclusionProof,
} from '@certus-trust/log-protocol'
import type { TransparencyLogEntryJson } from '@certus-trust/log-protocol/entries'
import { type RekorV2EntryRequest, verifyV2BodyMatchesRequest } from '@certus-trust/log-protocol/entries'
import * as z from 'zod'
import { fail, RekorError } from './errors.js'
import { HttpTransport, parseWith } from './http-transport.js'
import type { RetryDelayOptions } from './retry.js'
import { TilesClient } from './tiles.js'

/**
 * Default per-attempt timeout of a Rekor v2 write in milliseconds: the server answers only once a published
 * checkpoint covers the new entry (rekor-tiles asks clients to allow at least 20 s).
 */
export const DEFAULT_REKOR_V2_TIMEOUT = 30_000

/** Options of {@link RekorV2Client}. */
export interface RekorV2ClientOptions {
  /** Base URL of the log shard, e.g. `https://log2025-1.rekor.sigstore.dev` (no `/api/v2`, no trailing slash). */
  baseUrl: string
  /**
   * The log's public key. When given, every returned checkpoint must carry a valid signature by it and the entry's
   * `logId.keyId` must be its C2SP key ID. Without it only the proof's arithmetic is checked.
   */
  logKey?: PublicKeyInput
  /** The checkpoint origin (and signature name) to require. @default the checkpoint's own origin */
  origin?: string
  /** Where the log's C2SP tlog-tiles live. @default `${baseUrl}/api/v2` (rekor-tiles and `certus serve`) */
  tilesUrl?: string
  /**
   * On a 409 (the identical entry is already logged, e.g. a deterministic signature signed again), read that entry
   * from the tiles, check it records the request and prove its inclusion, and return it. Needs `logKey` (the entry's
   * log ID is the key's ID); without it a 409 stays `REKOR_CONFLICT`.
   * @default true
   */
  fetchOnConflict?: boolean
  /** Per-attempt timeout in milliseconds. @default DEFAULT_REKOR_V2_TIMEOUT (30 000) */
  timeout?: number
  /** Retries after the first attempt, on network errors, timeouts, 408, 429 and 5xx. @default 3 */
  retries?: number
  /** @default { baseMs: 500, maxMs: 10_000 } */
  retryDelay?: Partial<RetryDelayOptions>
  /** Longest `Retry-After` (ms) the client will wait. @default 60_000 */
  maxRetryAfter?: number
  /** fetch implementation (the test seam). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
  /** @default 'certus-trust-rekor/0.1' */
  userAgent?: string
  /** Extra headers sent with every request. Never logged. */
  headers?: Record<string, string>
  /** @default noopLogger */
  logger?: Logger
}

/**
 * Something that records a signature in a Rekor v2 log and returns the bundle `TransparencyLogEntry`:
 * {@link RekorV2Client}, or an in-process log that speaks Rekor v2.
 */
export interface V2EntryCreator {
  createV2Entry(
    request: RekorV2EntryRequest,
    options?: { signal?: AbortSignal },
  ): Promise<TransparencyLogEntryJson>
}

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
const Int64 = z.lazy(() =>
  z.union([z.string().regex(/^(?:0|[1-9][0-9]*)$/), z.number().int().nonnegative()]).transform(String),
)
const Base64 = z.lazy(() => z.string().refine((value) => fromBase64(value) !== undefined, 'expected base64'))
const TransparencyLogEntrySchema = z.lazy(() =>
  z.object({
    logIndex: Int64,
    logId: z.object({ keyId: Base64 }),
    kindVersion: z.object({ kind: z.string(), version: z.string() }),
    integratedTime: Int64.optional(),
    inclusionPromise: z.object({ signedEntryTimestamp: Base64 }).nullish(),
    inclusionProof: z.object({
      logIndex: Int64,
      rootHash: Base64,
      treeSize: Int64,
      hashes: z.array(Base64),
      checkpoint: z.object({ envelope: z.string().min(1) }),
    }),
    canonicalizedBody: Base64,
  }),
)
type ParsedEntry = z.infer<typeof TransparencyLogEntrySchema>

function responseInvalid(message: string, cause?: unknown): never {
  throw new RekorError({ code: 'REKOR_RESPONSE_INVALID', message: `createEntry: ${message}`, cause })
}

/**
 * A Rekor v2 (rekor-tiles) write client: `POST /api/v2/log/entries` with a `hashedRekordRequestV002` or
 * `dsseRequestV002`, answered with a bundle `TransparencyLogEntry` (inclusion proof + signed checkpoint, no SET).
 * Every answer is checked before it is returned: the body records exactly the request, the proof leads to the
 * checkpoint's root, and — with `logKey` — the checkpoint is signed by the log. Read entries back with
 * {@link TilesClient}.
 *
 * @example
 * const rekor = new RekorV2Client({ baseUrl: 'https://log2025-1.rekor.sigstore.dev', logKey })
 * const entry = await rekor.createV2Entry(buildHashedRekordRequestV002({ digest, signature, verifier: { publicKey } }))
 */
export class RekorV2Client implements V2EntryCreator {
  readonly baseUrl: string
  readonly #http: HttpTransport
  readonly #logKey: ReturnType<typeof toPublicKey> | undefined
  readonly #origin: string | undefined
  readonly #options: RekorV2ClientOptions

  constructor(options: RekorV2ClientOptions) {
    this.#options = options
    this.#http = new HttpTransport({
      ...options,
      pathPrefix: '/api/v2',
      timeout: options.timeout ?? DEFAULT_REKOR_V2_TIMEOUT,
      retries: options.retries ?? 3,
    })
    this.baseUrl = this.#http.baseUrl
    this.#logKey = options.logKey === undefined ? undefined : toPublicKey(options.logKey)
    this.#origin = options.origin
  }

  /**
   * Creates an entry. A 409 (the same entry is already logged) is `REKOR_CONFLICT` with `details.logIndex` from
   * the `x-log-index` header (Rekor v2 has no entry lookup; read it with {@link TilesClient}).
   * @throws RekorError `REKOR_INVALID_REQUEST`, `REKOR_CONFLICT`, `REKOR_RATE_LIMITED`, `REKOR_SERVER_ERROR`,
   * `REKOR_HTTP` (e.g. 405 for a frozen log), `REKOR_TIMEOUT`, `REKOR_NETWORK`, `REKOR_ABORTED`,
   * `REKOR_RESPONSE_INVALID` (malformed answer, body not matching the request, bad proof or checkpoint signature).
   */
  async createV2Entry(
    request: RekorV2EntryRequest,
    options: { signal?: AbortSignal } = {},
  ): Promise<TransparencyLogEntryJson> {
    const kind = checkRequest(request)
    let json: unknown
    try {
      json = await this.#http.request<unknown>({
        operation: 'createEntry',
        method: 'post',
        path: 'log/entries',
        json: request,
        schema: z.unknown(),
        signal: options.signal,
      })
    } catch (error) {
      const index = RekorError.is(error, 'REKOR_CONFLICT') ? error.details.logIndex : undefined
      if (typeof index !== 'number' || !this.#logKey || this.#options.fetchOnConflict === false) throw error
      return this.#existingEntry(request, kind, BigInt(index), options.signal)
    }
    const entry = parseWith('createEntry', TransparencyLogEntrySchema, json)
    if (entry.kindVersion.kind !== kind || entry.kindVersion.version !== '0.0.2') {
      responseInvalid(
        `expected a ${kind} 0.0.2 entry, got ${entry.kindVersion.kind} ${entry.kindVersion.version}`,
      )
    }
    const body = fromBase64(entry.canonicalizedBody)!
    try {
      verifyV2BodyMatchesRequest(body, request)
    } catch (error) {
      responseInvalid('the logged body does not record the request', error)
    }
    this.#checkProof(entry, body)
    return toBundleEntry(entry)
  }

  /** Reads an already logged entry back from the tiles and returns it in the same form as a new one. */
  async #existingEntry(
    request: RekorV2EntryRequest,
    kind: string,
    index: bigint,
    signal: AbortSignal | undefined,
  ): Promise<TransparencyLogEntryJson> {
    const { baseUrl, tilesUrl, logKey, fetchOnConflict, timeout, ...transport } = this.#options
    const tiles = new TilesClient({
      ...transport,
      baseUrl: tilesUrl ?? `${this.baseUrl}${TILES_PATH_PREFIX}`,
      logKey: this.#logKey!,
      ...(this.#origin !== undefined ? { origin: this.#origin } : {}),
    })
    const checkpoint = await tiles.getCheckpoint({ ...(signal ? { signal } : {}) })
    const body = await tiles.getEntry(index, checkpoint, signal)
    try {
      verifyV2BodyMatchesRequest(body, request)
    } catch (error) {
      responseInvalid(`entry ${index}, named by the conflict, does not record the request`, error)
    }
    const proof = await tiles.proveInclusion(index, checkpoint, {
      leafHash: hashLeaf(body),
      ...(signal ? { signal } : {}),
    })
    return {
      logIndex: index.toString(),
      logId: { keyId: toBase64(noteKeyId(checkpoint.origin, this.#logKey!)) },
      kindVersion: { kind, version: '0.0.2' },
      integratedTime: '0',
      inclusionProof: {
        logIndex: index.toString(),
        rootHash: toBase64(proof.rootHash),
        treeSize: proof.treeSize.toString(),
        hashes: proof.hashes.map(toBase64),
        checkpoint: { envelope: `${checkpoint.signedText}\n${checkpointSignatureText(checkpoint)}` },
      },
      canonicalizedBody: toBase64(body),
    }
  }

  #checkProof(entry: ParsedEntry, body: Uint8Array): Checkpoint {
    const proof = entry.inclusionProof
    let checkpoint: Checkpoint
    try {
      checkpoint = parseCheckpoint(proof.checkpoint.envelope)
      if (
        checkpoint.treeSize !== BigInt(proof.treeSize) ||
        !bytesEqual(checkpoint.rootHash, fromBase64(proof.rootHash)!)
      ) {
        fail('REKOR_ENTRY_INVALID', 'the inclusion proof names another tree than its checkpoint')
      }
      verifyInclusionProof({
        leafIndex: BigInt(proof.logIndex),
        treeSize: checkpoint.treeSize,
        leafHash: hashLeaf(body),
        proof: proof.hashes.map((hash) => fromBase64(hash)!),
        rootHash: checkpoint.rootHash,
      })
    } catch (error) {
      return responseInvalid('the inclusion proof does not hold', error)
    }
    if (this.#origin !== undefined && checkpoint.origin !== this.#origin) {
      responseInvalid(`checkpoint origin is ${checkpoint.origin}, expected ${this.#origin}`)
    }
    if (this.#logKey) {
      const keyId = noteKeyId(checkpoint.origin, this.#logKey)
      if (!bytesEqual(fromBase64(entry.logId.keyId)!, keyId))
        responseInvalid("logId.keyId is not the log key's ID")
      try {
        verifyCheckpoint(checkpoint, {
          publicKey: this.#logKey,
          name: checkpoint.origin,
          keyHint: keyId.slice(0, 4),
        })
      } catch (error) {
        responseInvalid('the checkpoint is not signed by the log key', error)
      }
    }
    return checkpoint
  }
}

function checkRequest(request: RekorV2EntryRequest): 'hashedrekord' | 'dsse' {
  if (typeof request === 'object' && request !== null) {
    if ('hashedRekordRequestV002' in request && request.hashedRekordRequestV002) return 'hashedrekord'
    if ('dsseRequestV002' in request && request.dsseRequestV002) return 'dsse'
  }
  return fail('REKOR_INVALID_INPUT', 'expected a hashedRekordRequestV002 or dsseRequestV002 request')
}

/** Normalises to the bundle's proto3 JSON: int64 as strings, no SET, `integratedTime` "0" when absent. */
function toBundleEntry(entry: ParsedEntry): TransparencyLogEntryJson {
  return {
    logIndex: entry.logIndex,
    logId: { keyId: entry.logId.keyId },
    kindVersion: entry.kindVersion,
    integratedTime: entry.integratedTime ?? '0',
    ...(entry.inclusionPromise ? { inclusionPromise: entry.inclusionPromise } : {}),
    inclusionProof: {
      logIndex: entry.inclusionProof.logIndex,
      rootHash: entry.inclusionProof.rootHash,
      treeSize: entry.inclusionProof.treeSize,
      hashes: entry.inclusionProof.hashes,
      checkpoint: { envelope: entry.inclusionProof.checkpoint.envelope },
    },
    canonicalizedBody: entry.canonicalizedBody,
  }
}

/** The signature lines of a checkpoint, as they were in the note. */
function checkpointSignatureText(checkpoint: Checkpoint): string {
  return checkpoint.signatures
    .map((line) => `\u2014 ${line.name} ${toBase64(new Uint8Array([...line.keyHint, ...line.signature]))}\n`)
    .join('')
}
