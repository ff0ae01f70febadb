import { type Logger, noopLogger } from '@certus-trust/core'
import type { KyInstance, Options as KyOptions } from 'ky'
import type { z } from 'zod'
import { RekorError, type RekorErrorCode } from './errors.js'
import { backoffDelay, parseRetryAfter, type RetryDelayOptions, sleep } from './retry.js'
import { ErrorBodySchema } from './schemas.js'

// The HTTP half shared by the Rekor v1 client, the Rekor v2 client and the tiles reader: ky with our own retries
// (a retried create that meets 409 must resolve to the existing entry, so ky's retry stays off), zod on every JSON
// response, and every failure turned into a RekorError exactly once.

/** Transport settings every client of this package takes (see RekorClientOptions for the documented defaults). */
export interface TransportOptions {
  baseUrl: string
  /** Path put between the base URL and every request path, e.g. `/api/v1`. */
  pathPrefix?: string
  timeout: number
  retries: number
  retryDelay?: Partial<RetryDelayOptions> | undefined
  maxRetryAfter?: number | undefined
  fetch?: typeof globalThis.fetch | undefined
  userAgent?: string | undefined
  headers?: Record<string, string> | undefined
  logger?: Logger | undefined
}

/** One request: `responseType` picks how the body is read (zod-checked JSON, text or raw bytes). */
export interface RequestSpec<T> {
  operation: string
  method: 'get' | 'post'
  path: string
  searchParams?: Record<string, string>
  json?: unknown
  schema?: z.ZodType<T>
  responseType?: 'json' | 'text' | 'bytes'
  signal?: AbortSignal | undefined
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

/** Parses a base URL and returns it without trailing slashes, plus a copy safe to put in error details. */
export function checkBaseUrl(baseUrl: string): { baseUrl: string; safeUrl: string } {
  const trimmed = String(baseUrl).replace(/\/+$/, '')
  let parsed: URL
  try {
    parsed = new URL(trimmed)
  } catch (error) {
    throw new RekorError({
      code: 'REKOR_INVALID_INPUT',
      message: 'baseUrl is not an absolute URL',
      cause: error,
    })
  }
  // Error details carry the URL; credentials embedded in it must never reach logs or API responses.
  parsed.username = ''
  parsed.password = ''
  return { baseUrl: trimmed, safeUrl: parsed.toString().replace(/\/+$/, '') }
}

/** @internal ky + retries + typed errors for one base URL. */
export class HttpTransport {
  readonly baseUrl: string
  readonly safeUrl: string
  readonly #kyOptions: KyOptions
  #ky: Promise<KyInstance> | undefined
  readonly #retries: number
  readonly #retryDelay: RetryDelayOptions
  readonly #maxRetryAfter: number
  readonly #logger: Logger

  constructor(options: TransportOptions) {
    const { baseUrl, safeUrl } = checkBaseUrl(options.baseUrl)
    this.baseUrl = baseUrl
    this.safeUrl = safeUrl
    this.#retries = Math.max(0, Math.floor(options.retries))
    this.#retryDelay = {
      baseMs: options.retryDelay?.baseMs ?? 500,
      maxMs: options.retryDelay?.maxMs ?? 10_000,
    }
    this.#maxRetryAfter = options.maxRetryAfter ?? 60_000
    this.#logger = options.logger ?? noopLogger
    this.#kyOptions = {
      prefix: `${baseUrl}${options.pathPrefix ?? ''}`,
      timeout: options.timeout,
      retry: 0,
      throwHttpErrors: false,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      headers: {
        accept: 'application/json',
        'user-agent': options.userAgent ?? 'certus-trust-rekor/0.1',
        ...options.headers,
      },
    }
  }

  /**
   * ky is imported on the first request: importing it probes the platform's fetch classes, which loads Node's HTTP
   * stack, and a process that only embeds the log (the CLI signing locally) never makes a request.
   */
  #client(): Promise<KyInstance> {
    this.#ky ??= import('ky').then(({ default: ky }) => ky.create(this.#kyOptions))
    return this.#ky
  }

  /** Sends a request, retrying network errors, timeouts, 408, 429 and 5xx. */
  async request<T>(spec: RequestSpec<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < this.#retries
      let response: Response
      try {
        const client = await this.#client()
        response = await client(spec.path, {
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
        details: { url: this.safeUrl },
      })
    }
    return new RekorError({
      code: 'REKOR_NETWORK',
      message: `${spec.operation} failed: network error`,
      cause: error,
      details: { url: this.safeUrl },
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
    if (code === 'REKOR_CONFLICT') conflictDetails(response, rekorMessage, attempt, details)
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
      if (spec.responseType === 'bytes') return new Uint8Array(await response.arrayBuffer()) as T
      text = await response.text()
    } catch (error) {
      throw this.#transportError(spec, error)
    }
    if (spec.responseType === 'text') return text as T
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
    return parseWith(spec.operation, spec.schema!, json)
  }
}

/** Rekor v1 names the existing entry in `Location`/the message; Rekor v2 in an `x-log-index` header. */
function conflictDetails(
  response: Response,
  message: string | undefined,
  attempt: number,
  details: Record<string, unknown>,
): void {
  const location = response.headers.get('location')
  if (location) details.location = location
  const uuid = existingEntryId(location, message)
  if (uuid) details.uuid = uuid
  const logIndex = response.headers.get('x-log-index')
  if (logIndex && /^\d+$/.test(logIndex)) details.logIndex = Number(logIndex)
  if (attempt > 0) details.afterRetry = true
}

/** zod-parses an upstream value; a failure becomes `REKOR_RESPONSE_INVALID` naming the first bad field. */
export function parseWith<T>(operation: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const field = issue?.path.length ? issue.path.map(String).join('.') : '(root)'
  throw new RekorError({
    code: 'REKOR_RESPONSE_INVALID',
    message: `${operation}: unexpected response at ${field}: ${issue?.message ?? 'invalid'}`,
    details: {
      field,
      issues: parsed.error.issues.map((item) => ({ path: item.path.map(String), message: item.message })),
    },
    cause: parsed.error,
  })
}
