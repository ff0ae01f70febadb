import { fromBase64, type Logger, noopLogger } from '@certus-trust/core'
import type { CreateEntryOptions, EntryCreator, LogEntry } from '@certus-trust/log-protocol'
import { RekorError } from '@certus-trust/log-protocol'
import type { ProposedEntry } from '@certus-trust/log-protocol/entries'
import type { z } from 'zod'
import { EntryCache } from './entry-cache.js'
import { HttpTransport, type RequestSpec } from './http-transport.js'
import type { RetryDelayOptions } from './retry.js'
import {
  type ConsistencyProofResponse,
  ConsistencyProofSchema,
  LogEntryMapSchema,
  type LogInfo,
  LogInfoSchema,
  RetrieveResponseSchema,
  SearchIndexResponseSchema,
} from './schemas.js'

/** The public-good Rekor v1 instance. */
export const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev'
/** Default per-attempt timeout in milliseconds. */
export const DEFAULT_REKOR_TIMEOUT = 20_000
/** Default number of retries after the first attempt. */
export const DEFAULT_REKOR_RETRIES = 3

/** Options of {@link RekorClient}. */
export interface RekorClientOptions {
  /** Base URL of the Rekor instance (no `/api/v1`). @default DEFAULT_REKOR_URL */
  baseUrl?: string
  /** Per-attempt timeout in milliseconds. @default 20_000 */
  timeout?: number
  /** Retries after the first attempt, on network errors, timeouts, 408, 429 and 5xx. @default 3 */
  retries?: number
  /** Backoff: full jitter over min(maxMs, baseMs·2^attempt). @default { baseMs: 500, maxMs: 10_000 } */
  retryDelay?: Partial<RetryDelayOptions>
  /**
   * Longest `Retry-After` (ms) the client will wait; a longer one fails at once with `REKOR_RATE_LIMITED`.
   * @default 60_000
   */
  maxRetryAfter?: number
  /** fetch implementation (the test seam). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
  /** @default 'certus-trust-rekor/0.1' */
  userAgent?: string
  /** Extra headers sent with every request. Never logged. */
  headers?: Record<string, string>
  /**
   * Cache entries fetched by UUID or index (immutable data). `true` = 1000 entries. Log info is never cached.
   * @default false
   */
  cache?: boolean | { maxEntries: number }
  /**
   * On a 409 to a *first* create attempt, fetch and return the existing entry instead of throwing `REKOR_CONFLICT`.
   * (A 409 to a *retried* create always resolves to the existing entry.)
   * @default false
   */
  fetchOnConflict?: boolean
  /** @default noopLogger */
  logger?: Logger
}

/** Per-call options: every call can be aborted. */
export interface CallOptions {
  signal?: AbortSignal
}

/** `POST /api/v1/index/retrieve` query. At least one criterion. */
export interface SearchIndexQuery {
  /** Artifact digest: `sha256:<hex>` or bare hex. */
  hash?: string
  /** Public key: PEM text (sent base64-encoded) with its format. */
  publicKey?: { format: 'x509' | 'pgp' | 'minisign' | 'ssh' | 'tuf'; content: string }
  email?: string
  /** @default 'or' (server default) */
  operator?: 'and' | 'or'
}

/** `POST /api/v1/log/entries/retrieve` query (the server allows at most 10 items in all). */
export interface RetrieveEntriesQuery {
  uuids?: string[]
  logIndexes?: number[]
  entries?: ProposedEntry[]
}

const ENTRY_ID = /^(?:[0-9a-fA-F]{16})?[0-9a-fA-F]{64}$/

function toLogEntry(key: string, value: z.infer<typeof LogEntryMapSchema>[string]): LogEntry {
  return { uuid: key, ...value } as LogEntry
}

/**
 * A typed Rekor v1 client: ky for HTTP, zod for every response, typed {@link RekorError}s, retries with
 * exponential backoff and jitter, and an optional bounded cache for immutable entries. Implements
 * {@link EntryCreator}.
 *
 * @example
 * const rekor = new RekorClient({ baseUrl: 'https://rekor.sigstore.dev' })
 * const entry = await rekor.getEntryByIndex(12345)
 * await verifyEntry(entry, { logKey: await rekor.getPublicKey() })
 */
export class RekorClient implements EntryCreator {
  readonly baseUrl: string
  readonly #http: HttpTransport
  readonly #fetchOnConflict: boolean
  readonly #cache: EntryCache | undefined
  readonly #logger: Logger

  constructor(options: RekorClientOptions = {}) {
    this.#http = new HttpTransport({
      ...options,
      baseUrl: options.baseUrl ?? DEFAULT_REKOR_URL,
      pathPrefix: '/api/v1',
      timeout: options.timeout ?? DEFAULT_REKOR_TIMEOUT,
      retries: options.retries ?? DEFAULT_REKOR_RETRIES,
    })
    this.baseUrl = this.#http.baseUrl
    this.#fetchOnConflict = options.fetchOnConflict ?? false
    this.#logger = options.logger ?? noopLogger
    const cache = options.cache ?? false
    this.#cache = cache === false ? undefined : new EntryCache(cache === true ? 1000 : cache.maxEntries)
  }

  /**
   * Creates an entry (`POST /api/v1/log/entries`) from a hashedrekord or dsse proposed entry.
   * A retried attempt that meets 409 resolves to the existing entry, so retries never create a second entry.
   * @throws RekorError `REKOR_CONFLICT` (details.uuid / details.location name the existing entry),
   * `REKOR_INVALID_REQUEST`, `REKOR_RATE_LIMITED`, `REKOR_SERVER_ERROR`, `REKOR_TIMEOUT`, `REKOR_NETWORK`,
   * `REKOR_ABORTED`, `REKOR_RESPONSE_INVALID`.
   */
  async createEntry(entry: ProposedEntry, options: CreateEntryOptions = {}): Promise<LogEntry> {
    try {
      const map = await this.#request({
        operation: 'createEntry',
        method: 'post',
        path: 'log/entries',
        json: entry,
        schema: LogEntryMapSchema,
        signal: options.signal,
      })
      return this.#single('createEntry', map)
    } catch (error) {
      if (
        RekorError.is(error, 'REKOR_CONFLICT') &&
        (error.details.afterRetry === true || this.#fetchOnConflict)
      ) {
        const uuid = error.details.uuid
        if (typeof uuid === 'string') {
          this.#logger.info({ uuid }, 'rekor: entry already exists, fetching it')
          return this.getEntryByUuid(uuid, { signal: options.signal })
        }
      }
      throw error
    }
  }

  /**
   * Gets an entry by its 64-hex UUID or 80-hex entry ID (`GET /api/v1/log/entries/{id}`).
   * @throws RekorError `REKOR_INVALID_INPUT`, `REKOR_NOT_FOUND`, `REKOR_RESPONSE_INVALID` (also when the server
   * answers with a different entry), and the transport codes.
   */
  async getEntryByUuid(uuid: string, options: CallOptions = {}): Promise<LogEntry> {
    if (typeof uuid !== 'string' || !ENTRY_ID.test(uuid)) {
      throw new RekorError({
        code: 'REKOR_INVALID_INPUT',
        message: 'uuid must be 64 hex characters (or an 80-hex entry ID)',
      })
    }
    const cached = this.#cache?.getByUuid(uuid)
    if (cached) return cached
    const map = await this.#request({
      operation: 'getEntryByUuid',
      method: 'get',
      path: `log/entries/${uuid.toLowerCase()}`,
      schema: LogEntryMapSchema,
      signal: options.signal,
    })
    const entry = this.#single('getEntryByUuid', map)
    if (entry.uuid.slice(-64) !== uuid.toLowerCase().slice(-64)) {
      throw new RekorError({
        code: 'REKOR_RESPONSE_INVALID',
        message: 'getEntryByUuid: the response is keyed by a different entry',
        details: { field: '(key)', requested: uuid, received: entry.uuid },
      })
    }
    this.#cache?.set(entry)
    return entry
  }

  /**
   * Gets an entry by its global log index (`GET /api/v1/log/entries?logIndex=N`).
   * @throws RekorError `REKOR_INVALID_INPUT`, `REKOR_NOT_FOUND`, `REKOR_RESPONSE_INVALID`, and the transport codes.
   */
  async getEntryByIndex(logIndex: number, options: CallOptions = {}): Promise<LogEntry> {
    if (!Number.isSafeInteger(logIndex) || logIndex < 0) {
      throw new RekorError({
        code: 'REKOR_INVALID_INPUT',
        message: 'logIndex must be a non-negative integer',
      })
    }
    const cached = this.#cache?.getByIndex(logIndex)
    if (cached) return cached
    const map = await this.#request({
      operation: 'getEntryByIndex',
      method: 'get',
      path: 'log/entries',
      searchParams: { logIndex: String(logIndex) },
      schema: LogEntryMapSchema,
      signal: options.signal,
    })
    const entry = this.#single('getEntryByIndex', map)
    if (entry.logIndex !== logIndex) {
      throw new RekorError({
        code: 'REKOR_RESPONSE_INVALID',
        message: 'getEntryByIndex: the response is for a different index',
        details: { field: 'logIndex', requested: logIndex, received: entry.logIndex },
      })
    }
    this.#cache?.set(entry)
    return entry
  }

  /**
   * Searches the index (`POST /api/v1/index/retrieve`) by artifact hash, public key and/or email.
   * Rekor documents this endpoint as best effort; the order of the returned entry IDs is not defined.
   * @returns entry IDs (64 or 80 hex).
   */
  async searchIndex(query: SearchIndexQuery, options: CallOptions = {}): Promise<string[]> {
    const body: Record<string, unknown> = {}
    if (query.hash !== undefined) {
      const match = /^(?:sha256:)?([0-9a-fA-F]{64})$/.exec(query.hash)
      if (!match)
        throw new RekorError({
          code: 'REKOR_INVALID_INPUT',
          message: 'hash must be sha256:<64 hex> or 64 hex',
        })
      body.hash = `sha256:${match[1]!.toLowerCase()}`
    }
    if (query.publicKey !== undefined) {
      body.publicKey = {
        format: query.publicKey.format,
        content: Buffer.from(query.publicKey.content, 'utf8').toString('base64'),
      }
    }
    if (query.email !== undefined) body.email = query.email
    if (Object.keys(body).length === 0) {
      throw new RekorError({
        code: 'REKOR_INVALID_INPUT',
        message: 'searchIndex needs a hash, publicKey or email',
      })
    }
    if (query.operator !== undefined) body.operator = query.operator
    return this.#request({
      operation: 'searchIndex',
      method: 'post',
      path: 'index/retrieve',
      json: body,
      schema: SearchIndexResponseSchema,
      signal: options.signal,
    })
  }

  /**
   * Retrieves several entries at once (`POST /api/v1/log/entries/retrieve`). Entries the log does not have are
   * left out of the result.
   */
  async retrieveEntries(query: RetrieveEntriesQuery, options: CallOptions = {}): Promise<LogEntry[]> {
    const body: Record<string, unknown> = {}
    if (query.uuids?.length) {
      if (!query.uuids.every((uuid) => ENTRY_ID.test(uuid))) {
        throw new RekorError({
          code: 'REKOR_INVALID_INPUT',
          message: 'every uuid must be 64 or 80 hex characters',
        })
      }
      body.entryUUIDs = query.uuids.map((uuid) => uuid.toLowerCase())
    }
    if (query.logIndexes?.length) {
      if (!query.logIndexes.every((index) => Number.isSafeInteger(index) && index >= 0)) {
        throw new RekorError({
          code: 'REKOR_INVALID_INPUT',
          message: 'every logIndex must be a non-negative integer',
        })
      }
      body.logIndexes = query.logIndexes
    }
    if (query.entries?.length) body.entries = query.entries
    if (Object.keys(body).length === 0)
      throw new RekorError({
        code: 'REKOR_INVALID_INPUT',
        message: 'retrieveEntries needs uuids, logIndexes or entries',
      })
    const maps = await this.#request({
      operation: 'retrieveEntries',
      method: 'post',
      path: 'log/entries/retrieve',
      json: body,
      schema: RetrieveResponseSchema,
      signal: options.signal,
    })
    const entries = maps.flatMap((map) => Object.entries(map).map(([key, value]) => toLogEntry(key, value)))
    for (const entry of entries) this.#cache?.set(entry)
    return entries
  }

  /** Log info (`GET /api/v1/log`): size, root hash, signed tree head (checkpoint), tree ID, inactive shards. Never cached. */
  async getLogInfo(options: CallOptions = {}): Promise<LogInfo> {
    return this.#request({
      operation: 'getLogInfo',
      method: 'get',
      path: 'log',
      schema: LogInfoSchema,
      signal: options.signal,
    })
  }

  /**
   * Consistency proof between two tree sizes (`GET /api/v1/log/proof`). Verify it with
   * `verifyConsistencyProof` against the roots of two *verified checkpoints* (the response's rootHash is the
   * log's current root, not necessarily the root at lastSize).
   */
  async getConsistencyProof(
    query: { firstSize?: number; lastSize: number; treeID?: string },
    options: CallOptions = {},
  ): Promise<ConsistencyProofResponse> {
    const firstSize = query.firstSize ?? 1
    if (
      !Number.isSafeInteger(firstSize) ||
      !Number.isSafeInteger(query.lastSize) ||
      firstSize < 0 ||
      query.lastSize < firstSize
    ) {
      throw new RekorError({
        code: 'REKOR_INVALID_INPUT',
        message: 'need integers 0 <= firstSize <= lastSize',
      })
    }
    const searchParams: Record<string, string> = {
      firstSize: String(firstSize),
      lastSize: String(query.lastSize),
    }
    if (query.treeID !== undefined) searchParams.treeID = query.treeID
    return this.#request({
      operation: 'getConsistencyProof',
      method: 'get',
      path: 'log/proof',
      searchParams,
      schema: ConsistencyProofSchema,
      signal: options.signal,
    })
  }

  /**
   * The log's public key as PEM (`GET /api/v1/log/publicKey`).
   * @throws RekorError `REKOR_RESPONSE_INVALID` when the body is not a PEM public key.
   */
  async getPublicKey(options: CallOptions & { treeID?: string } = {}): Promise<string> {
    const pem = await this.#request<string>({
      operation: 'getPublicKey',
      method: 'get',
      path: 'log/publicKey',
      ...(options.treeID !== undefined ? { searchParams: { treeID: options.treeID } } : {}),
      responseType: 'text',
      signal: options.signal,
    })
    const match = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(pem)
    if (!match || !fromBase64(match[1]!.replace(/\s+/g, ''))) {
      throw new RekorError({
        code: 'REKOR_RESPONSE_INVALID',
        message: 'getPublicKey: the response is not a PEM public key',
        details: { field: '(body)' },
      })
    }
    return pem
  }

  #single(operation: string, map: z.infer<typeof LogEntryMapSchema>): LogEntry {
    const keys = Object.keys(map)
    if (keys.length !== 1) {
      throw new RekorError({
        code: 'REKOR_RESPONSE_INVALID',
        message: `${operation}: expected exactly one entry in the response, got ${keys.length}`,
        details: { field: '(root)' },
      })
    }
    return toLogEntry(keys[0]!, map[keys[0]!]!)
  }

  #request<T>(spec: RequestSpec<T>): Promise<T> {
    return this.#http.request(spec)
  }
}

/** Creates a {@link RekorClient}; same options as its constructor. */
export function createRekorClient(options: RekorClientOptions = {}): RekorClient {
  return new RekorClient(options)
}
