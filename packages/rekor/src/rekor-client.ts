import { type Logger, noopLogger } from '@certus-trust/core'
import ky, { type KyInstance } from 'ky'
import type { z } from 'zod'
import { fromBase64 } from './encoding.js'
import type { ProposedEntry } from './entry-body.js'
import { EntryCache } from './entry-cache.js'
import { RekorError, type RekorErrorCode } from './errors.js'
import type { CreateEntryOptions, EntryCreator, LogEntry } from './log-entry.js'
import { backoffDelay, parseRetryAfter, type RetryDelayOptions, sleep } from './retry.js'
import {
  type ConsistencyProofResponse,
  ConsistencyProofSchema,
  ErrorBodySchema,
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

interface RequestSpec<T> {
  operation: string
  method: 'get' | 'post'
  path: string
  searchParams?: Record<string, string>
  json?: unknown
  schema?: z.ZodType<T>
  text?: boolean
  signal?: AbortSignal
}

const RETRIABLE_STATUS = new Set([408, 429, 500, 502, 503, 504])
const ENTRY_ID = /^(?:[0-9a-fA-F]{16})?[0-9a-fA-F]{64}$/

function statusCode(status: number): RekorErrorCode {
  if (status === 404) return 'REKOR_NOT_FOUND'
  if (status === 409) return 'REKOR_CONFLICT'
  if (status === 400 || status === 422) return 'REKOR_INVALID_REQUEST'
  if (status === 429) return 'REKOR_RATE_LIMITED'
  if (status >= 500) return 'REKOR_SERVER_ERROR'
  return 'REKOR_HTTP'
}

function existingEntryId(location: string | null, message: string | undefined): string | undefined {
  const fromLocation = location?.split('?')[0]?.split('/').filter(Boolean).pop()
  if (fromLocation && ENTRY_ID.test(fromLocation)) return fromLocation.toLowerCase()
  const fromMessage = message?.match(/([0-9a-fA-F]{80}|[0-9a-fA-F]{64})\s*$/)?.[1]
  return fromMessage?.toLowerCase()
}

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
 * verifyEntry(entry, { logKey: await rekor.getPublicKey() })
 */
export class RekorClient implements EntryCreator {
  readonly baseUrl: string
  readonly #ky: KyInstance
  readonly #retries: number
  readonly #retryDelay: RetryDelayOptions
  readonly #maxRetryAfter: number
  readonly #fetchOnConflict: boolean
  readonly #cache: EntryCache | undefined
  readonly #logger: Logger
  readonly #safeUrl: string

  constructor(options: RekorClientOptions = {}) {
    const baseUrl = (options.baseUrl ?? DEFAULT_REKOR_URL).replace(/\/+$/, '')
    let parsed: URL
    try {
      parsed = new URL(baseUrl)
    } catch (error) {
      throw new RekorError({
        code: 'REKOR_INVALID_INPUT',
        message: 'baseUrl is not an absolute URL',
        cause: error,
      })
    }
    this.baseUrl = baseUrl
    // Error details carry the URL; credentials embedded in it must never reach logs or API responses.
    parsed.username = ''
    parsed.password = ''
    this.#safeUrl = parsed.toString().replace(/\/+$/, '')
    this.#retries = Math.max(0, Math.floor(options.retries ?? DEFAULT_REKOR_RETRIES))
    this.#retryDelay = {
      baseMs: options.retryDelay?.baseMs ?? 500,
      maxMs: options.retryDelay?.maxMs ?? 10_000,
    }
    this.#maxRetryAfter = options.maxRetryAfter ?? 60_000
    this.#fetchOnConflict = options.fetchOnConflict ?? false
    this.#logger = options.logger ?? noopLogger
    const cache = options.cache ?? false
    this.#cache = cache === false ? undefined : new EntryCache(cache === true ? 1000 : cache.maxEntries)
    this.#ky = ky.create({
      prefix: `${baseUrl}/api/v1`,
      timeout: options.timeout ?? DEFAULT_REKOR_TIMEOUT,
      // We retry ourselves: a retried create that meets 409 must resolve to the existing entry.
      retry: 0,
      throwHttpErrors: false,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      headers: {
        accept: 'application/json',
        'user-agent': options.userAgent ?? 'certus-trust-rekor/0.1',
        ...options.headers,
      },
    })
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
      text: true,
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

  async #request<T>(spec: RequestSpec<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < this.#retries
      let response: Response
      try {
        response = await this.#ky(spec.path, {
          method: spec.method,
          ...(spec.searchParams ? { searchParams: spec.searchParams } : {}),
          ...(spec.json !== undefined ? { json: spec.json } : {}),
          ...(spec.signal ? { signal: spec.signal } : {}),
        })
      } catch (error) {
        const wrapped = this.#transportError(spec, error)
        if (wrapped.code !== 'REKOR_ABORTED' && canRetry) {
          await this.#wait(spec, attempt, undefined, wrapped)
          continue
        }
        throw wrapped
      }
      if (response.ok) return this.#parse(spec, response)
      const error = await this.#httpError(spec, response, attempt)
      if (RETRIABLE_STATUS.has(response.status) && canRetry) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'))
        if (retryAfter === undefined || retryAfter <= this.#maxRetryAfter) {
          await this.#wait(spec, attempt, retryAfter, error)
          continue
        }
      }
      throw error
    }
  }

  async #wait(
    spec: RequestSpec<unknown>,
    attempt: number,
    retryAfter: number | undefined,
    error: RekorError,
  ): Promise<void> {
    const delay = retryAfter ?? backoffDelay(attempt, this.#retryDelay)
    this.#logger.debug(
      { operation: spec.operation, attempt: attempt + 1, delay, code: error.code },
      'rekor: retrying',
    )
    try {
      await sleep(delay, spec.signal)
    } catch (reason) {
      throw new RekorError({
        code: 'REKOR_ABORTED',
        message: `${spec.operation} was aborted while waiting to retry`,
        cause: reason,
      })
    }
  }

  #transportError(spec: RequestSpec<unknown>, error: unknown): RekorError {
    const name = (error as { name?: unknown } | null)?.name
    if (spec.signal?.aborted || name === 'AbortError') {
      return new RekorError({ code: 'REKOR_ABORTED', message: `${spec.operation} was aborted`, cause: error })
    }
    if (name === 'TimeoutError') {
      return new RekorError({
        code: 'REKOR_TIMEOUT',
        message: `${spec.operation} timed out`,
        cause: error,
        details: { url: this.#safeUrl },
      })
    }
    return new RekorError({
      code: 'REKOR_NETWORK',
      message: `${spec.operation} failed: network error`,
      cause: error,
      details: { url: this.#safeUrl },
    })
  }

  async #httpError(spec: RequestSpec<unknown>, response: Response, attempt: number): Promise<RekorError> {
    let rekorMessage: string | undefined
    let rekorCode: number | undefined
    const text = await response.text().catch(() => '')
    if (text) {
      try {
        const parsed = ErrorBodySchema.safeParse(JSON.parse(text))
        if (parsed.success) ({ message: rekorMessage, code: rekorCode } = parsed.data)
      } catch {
        // Non-JSON error bodies (proxies, HTML) carry nothing we can rely on.
      }
    }
    const code = statusCode(response.status)
    const details: Record<string, unknown> = { status: response.status, operation: spec.operation }
    if (rekorCode !== undefined) details.rekorCode = rekorCode
    if (rekorMessage !== undefined) details.rekorMessage = rekorMessage
    if (code === 'REKOR_CONFLICT') {
      const location = response.headers.get('location')
      if (location) details.location = location
      const uuid = existingEntryId(location, rekorMessage)
      if (uuid) details.uuid = uuid
      if (attempt > 0) details.afterRetry = true
    }
    if (code === 'REKOR_RATE_LIMITED') {
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'))
      if (retryAfter !== undefined) details.retryAfterMs = retryAfter
    }
    const suffix = rekorMessage ? `: ${rekorMessage}` : ''
    return new RekorError({
      code,
      message: `${spec.operation} failed with HTTP ${response.status}${suffix}`,
      details,
    })
  }

  async #parse<T>(spec: RequestSpec<T>, response: Response): Promise<T> {
    let text: string
    try {
      text = await response.text()
    } catch (error) {
      throw this.#transportError(spec, error)
    }
    if (spec.text) return text as T
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (error) {
      throw new RekorError({
        code: 'REKOR_RESPONSE_INVALID',
        message: `${spec.operation}: the response is not JSON`,
        details: { field: '(body)' },
        cause: error,
      })
    }
    const parsed = spec.schema!.safeParse(json)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const field = issue?.path.length ? issue.path.map(String).join('.') : '(root)'
      throw new RekorError({
        code: 'REKOR_RESPONSE_INVALID',
        message: `${spec.operation}: unexpected response at ${field}: ${issue?.message ?? 'invalid'}`,
        details: {
          field,
          issues: parsed.error.issues.map((item) => ({ path: item.path.map(String), message: item.message })),
        },
        cause: parsed.error,
      })
    }
    return parsed.data
  }
}

/** Creates a {@link RekorClient}; same options as its constructor. */
export function createRekorClient(options: RekorClientOptions = {}): RekorClient {
  return new RekorClient(options)
}
