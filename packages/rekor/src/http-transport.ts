import { type Logger, noopLogger } from '@certus-trust/core'
import type { BeforeRetryState, HTTPError, KyInstance, Options as KyOptions } from 'ky'
import type { z } from 'zod'
import { RekorError, type RekorErrorCode } from './errors.js'
import { kyRetryOptions, parseRetryAfter, RETRIABLE_STATUS, type RetryDelayOptions } from './retry.js'
import { ErrorBodySchema } from './schemas.js'

// The HTTP half shared by the Rekor v1 client, the Rekor v2 client and the tiles reader: ky with its own retries
// (policy in retry.ts, per-request decisions in `shouldRetry`), zod on every JSON response, and every failure
// turned into a RekorError exactly once. ky throws only for retriable statuses; 404, 409, 400 and the rest come
// back as responses mapped here, so a retried create that meets 409 can resolve to the existing entry.

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

/** What one request's retries have done so far; ky's `shouldRetry` and `beforeRetry` report into it. */
interface RetryState {
  /** Retries sent so far. */
  retries: number
  /** ky decided to retry and is waiting (an abort now is an abort while waiting to retry). */
  waiting: boolean
  /** When the wait began (performance.now()), for the debug line. */
  waitStarted: number
}

const ENTRY_ID = /^(?:[0-9a-fA-F]{16})?[0-9a-fA-F]{64}$/

function statusCode(status: number): RekorErrorCode {
  if (status === 404) return 'REKOR_NOT_FOUND'
  if (status === 409) return 'REKOR_CONFLICT'
  if (status === 400 || status === 422) return 'REKOR_INVALID_REQUEST'
  if (status === 429) return 'REKOR_RATE_LIMITED'
  if (status >= 500) return 'REKOR_SERVER_ERROR'
  return 'REKOR_HTTP'
}

function isHttpError(error: unknown): error is HTTPError {
  // By name as well as shape: ky is imported lazily, so there is no class at hand for instanceof.
  return (
    (error as { name?: unknown } | null)?.name === 'HTTPError' && (error as HTTPError).response !== undefined
  )
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
  readonly #maxRetryAfter: number
  readonly #logger: Logger

  constructor(options: TransportOptions) {
    const { baseUrl, safeUrl } = checkBaseUrl(options.baseUrl)
    this.baseUrl = baseUrl
    this.safeUrl = safeUrl
    this.#maxRetryAfter = options.maxRetryAfter ?? 60_000
    this.#logger = options.logger ?? noopLogger
    this.#kyOptions = {
      prefix: `${baseUrl}${options.pathPrefix ?? ''}`,
      timeout: options.timeout,
      retry: kyRetryOptions({
        retries: options.retries,
        retryDelay: {
          baseMs: options.retryDelay?.baseMs ?? 500,
          maxMs: options.retryDelay?.maxMs ?? 10_000,
        },
        maxRetryAfter: this.#maxRetryAfter,
      }),
      // Only retriable statuses become ky errors (and get retried); the rest are responses we map ourselves.
      throwHttpErrors: (status) => RETRIABLE_STATUS.includes(status),
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

  /** Sends a request; ky retries network errors, timeouts, 408, 429 and 5xx (see retry.ts). */
  async request<T>(spec: RequestSpec<T>): Promise<T> {
    const state: RetryState = { retries: 0, waiting: false, waitStarted: 0 }
    let response: Response
    try {
      const client = await this.#client()
      response = await client(spec.path, {
        method: spec.method,
        ...(spec.searchParams ? { searchParams: spec.searchParams } : {}),
        ...(spec.json !== undefined ? { json: spec.json } : {}),
        ...(spec.signal ? { signal: spec.signal } : {}),
        retry: { shouldRetry: ({ error }) => this.#shouldRetry(spec, state, error) },
        hooks: { beforeRetry: [(retry) => this.#beforeRetry(spec, state, retry)] },
      })
    } catch (error) {
      if (isHttpError(error) && !state.waiting) {
        throw this.#httpError(spec, error.response, error.data, state.retries)
      }
      throw this.#transportError(spec, error, state.waiting)
    }
    if (response.ok) return this.#parse(spec, response)
    const text = await response.text().catch(() => '')
    throw this.#httpError(spec, response, text, state.retries)
  }

  /**
   * ky's `shouldRetry`, called once ky's limit and method checks pass: `false` stops, `true` retries after ky's
   * backoff, `undefined` lets ky wait the `Retry-After` itself.
   */
  #shouldRetry(spec: RequestSpec<unknown>, state: RetryState, error: Error): boolean | undefined {
    // Network errors, timeouts and whatever else the fetch threw are retried (ky alone retries only its own kinds).
    let decision: boolean | undefined = true
    if (isHttpError(error)) {
      const retryAfter = parseRetryAfter(error.response.headers.get('retry-after'))
      // ky would wait maxRetryAfter and retry; we fail at once with the server's error instead.
      if (retryAfter !== undefined && retryAfter > this.#maxRetryAfter) return false
      // Without a usable Retry-After, back off (ky would otherwise read RateLimit-Reset and similar headers).
      if (retryAfter !== undefined) decision = undefined
    }
    if (isAbort(spec, error)) {
      // A retriable status met by an abort: the retry was due, so this is an abort while waiting to retry.
      state.waiting = isHttpError(error)
      return false
    }
    state.waiting = true
    state.waitStarted = performance.now()
    return decision
  }

  /** ky's `beforeRetry` hook: the wait is over and attempt `retryCount` is about to be sent. */
  #beforeRetry(spec: RequestSpec<unknown>, state: RetryState, retry: BeforeRetryState): void {
    state.waiting = false
    state.retries = retry.retryCount
    const code = isHttpError(retry.error)
      ? statusCode(retry.error.response.status)
      : this.#transportError(spec, retry.error, false).code
    this.#logger.debug(
      {
        operation: spec.operation,
        attempt: retry.retryCount,
        delay: Math.round(performance.now() - state.waitStarted),
        code,
      },
      'rekor: retrying',
    )
  }

  #transportError(spec: RequestSpec<unknown>, error: unknown, waiting: boolean): RekorError {
    if (isAbort(spec, error)) {
      const during = waiting ? ' while waiting to retry' : ''
      return new RekorError({
        code: 'REKOR_ABORTED',
        message: `${spec.operation} was aborted${during}`,
        cause: error,
      })
    }
    const name = (error as { name?: unknown } | null)?.name
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

  /** `body` is the error body: text we read, or what ky already read into `HTTPError.data` (text or JSON). */
  #httpError(spec: RequestSpec<unknown>, response: Response, body: unknown, retries: number): RekorError {
    const { message: rekorMessage, code: rekorCode } = rekorErrorBody(body)
    const code = statusCode(response.status)
    const details: Record<string, unknown> = { status: response.status, operation: spec.operation }
    if (rekorCode !== undefined) details.rekorCode = rekorCode
    if (rekorMessage !== undefined) details.rekorMessage = rekorMessage
    if (code === 'REKOR_CONFLICT') conflictDetails(response, rekorMessage, retries, details)
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
      throw this.#transportError(spec, error, false)
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

/** The caller aborted, or the fetch gave up with an AbortError: never retried. */
function isAbort(spec: RequestSpec<unknown>, error: unknown): boolean {
  return spec.signal?.aborted === true || (error as { name?: unknown } | null)?.name === 'AbortError'
}

/** Rekor's `{ code, message }` error body, when the body is one (non-JSON bodies from proxies carry nothing). */
function rekorErrorBody(body: unknown): { message?: string | undefined; code?: number | undefined } {
  let value = body
  if (typeof body === 'string') {
    if (!body) return {}
    try {
      value = JSON.parse(body)
    } catch {
      return {}
    }
  }
  const parsed = ErrorBodySchema.safeParse(value)
  return parsed.success ? parsed.data : {}
}

/** Rekor v1 names the existing entry in `Location`/the message; Rekor v2 in an `x-log-index` header. */
function conflictDetails(
  response: Response,
  message: string | undefined,
  retries: number,
  details: Record<string, unknown>,
): void {
  const location = response.headers.get('location')
  if (location) details.location = location
  const uuid = existingEntryId(location, message)
  if (uuid) details.uuid = uuid
  const logIndex = response.headers.get('x-log-index')
  if (logIndex && /^\d+$/.test(logIndex)) details.logIndex = Number(logIndex)
  if (retries > 0) details.afterRetry = true
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
