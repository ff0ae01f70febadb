import type { LogEntry } from '@certus-trust/log-protocol'
import { type Context, Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import * as z from 'zod'
import { closingBodyLimit } from './body-limit.js'
import { TlogError, type TlogErrorCode } from './errors.js'
import type { TransparencyLog } from './transparency-log.js'

/** Options of {@link createRekorApi}. */
export interface RekorApiOptions {
  /** Largest accepted request body in bytes; larger bodies get 413. @default 4 MiB */
  maxBodyBytes?: number
}

/** Default request body limit of the Rekor API. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024

// Rekor's status codes per error (R:pkg/api/error.go): bad entries 400, duplicates 409, too many queries 422.
export const STATUS_BY_CODE: Record<TlogErrorCode, ContentfulStatusCode> = {
  TLOG_ENTRY_INVALID: 400,
  TLOG_ENTRY_UNSUPPORTED: 400,
  TLOG_SIGNATURE_INVALID: 400,
  TLOG_INVALID_REQUEST: 400,
  TLOG_ENTRY_CONFLICT: 409,
  TLOG_TOO_MANY_QUERIES: 422,
  TLOG_ABORTED: 400,
  TLOG_CLOSED: 503,
  TLOG_KEY_INVALID: 500,
  TLOG_KEY_MISMATCH: 500,
  TLOG_INCONSISTENT: 500,
  TLOG_STORAGE_FAILED: 500,
  TLOG_TIMESTAMP_REQUEST_INVALID: 400,
  TLOG_TIMESTAMP_UNSUPPORTED: 400,
  TLOG_TSA_KEY_INVALID: 500,
}

// Schemas are built on first use (z.lazy): importing this module builds none (start-up of `certus`, issue 11).
const DECIMAL = z.lazy(() =>
  z
    .string()
    .regex(/^(?:0|[1-9][0-9]{0,15})$/)
    .transform(Number)
    .pipe(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)),
)
const ENTRY_ID = z.lazy(() => z.string().regex(/^(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{80})$/))
const TREE_ID = z.lazy(() => z.string().regex(/^[1-9][0-9]{0,18}$/))

const RetrieveSchema = z.lazy(() =>
  z.strictObject({
    entryUUIDs: z.array(ENTRY_ID).optional(),
    logIndexes: z.array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).optional(),
    entries: z.array(z.unknown()).optional(),
  }),
)

const SearchSchema = z.lazy(() =>
  z.strictObject({
    hash: z.string().optional(),
    publicKey: z
      .object({
        format: z.enum(['x509', 'pgp', 'minisign', 'ssh', 'tuf']),
        content: z.string().optional(),
        url: z.string().optional(),
      })
      .optional(),
    email: z.string().optional(),
    subject: z.string().optional(),
    operator: z.enum(['and', 'or']).optional(),
  }),
)

class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
  ) {
    super(message)
  }
}

function errorBody(c: Context, status: ContentfulStatusCode, message: string) {
  return c.json({ code: status, message }, status)
}

/** The REST shape of an entry: `{ "<entryID>": { body, integratedTime, logID, logIndex, verification } }`. */
function entryResponse(entry: LogEntry): Record<string, Omit<LogEntry, 'uuid'>> {
  const { uuid, ...rest } = entry
  return { [uuid]: rest }
}

function urlWithoutQuery(c: Context): string {
  const url = new URL(c.req.url)
  return `${url.origin}${url.pathname}`
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json()
  } catch {
    throw new ApiError(400, 'error parsing request body: expected JSON')
  }
}

function parseOr400<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ApiError(
      400,
      `invalid ${what}${issue ? `: ${issue.path.join('.') || 'value'} ${issue.message}` : ''}`,
    )
  }
  return parsed.data
}

/**
 * A Hono sub-application serving Rekor v1's REST API for an embedded log: create entry, get entry by UUID or log
 * index, retrieve entries, search index, log info, consistency proof and public key. Errors use Rekor's body
 * `{ code, message }`; 404s on GET routes have an empty body, as Rekor's do. Mount it with `app.route('/', api)`.
 *
 * @example
 * const app = new Hono()
 * app.route('/', createRekorApi(log))
 * serve({ fetch: app.fetch, port: 3000 })
 */
export function createRekorApi(log: TransparencyLog, options: RekorApiOptions = {}): Hono {
  const app = new Hono()

  app.use(
    '/api/v1/*',
    closingBodyLimit(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, (c) =>
      errorBody(c, 413, 'request body too large'),
    ),
  )

  app.post('/api/v1/log/entries', async (c) => {
    const proposed = await jsonBody(c)
    const location = urlWithoutQuery(c)
    try {
      const entry = await log.createEntry(proposed, { signal: c.req.raw.signal })
      c.header('ETag', entry.uuid)
      c.header('Location', `${location}/${entry.uuid}`)
      return c.json(entryResponse(entry), 201)
    } catch (error) {
      if (TlogError.is(error, 'TLOG_ENTRY_CONFLICT') && typeof error.details.entryId === 'string') {
        c.header('Location', `${location}/${error.details.entryId}`)
      }
      throw error
    }
  })

  app.get('/api/v1/log/entries', async (c) => {
    const logIndex = parseOr400(DECIMAL, c.req.query('logIndex'), 'logIndex')
    const entry = await log.getEntryByIndex(logIndex)
    return entry ? c.json(entryResponse(entry)) : c.body(null, 404)
  })

  app.get('/api/v1/log/entries/:entryUUID', async (c) => {
    const id = parseOr400(ENTRY_ID, c.req.param('entryUUID'), 'entry UUID')
    const entry = await log.getEntryByUuid(id)
    return entry ? c.json(entryResponse(entry)) : c.body(null, 404)
  })

  app.post('/api/v1/log/entries/retrieve', async (c) => {
    const query = parseOr400(RetrieveSchema, await jsonBody(c), 'search log query')
    const entries = await log.retrieveEntries(query)
    return c.json(entries.map(entryResponse))
  })

  app.post('/api/v1/index/retrieve', async (c) => {
    const query = parseOr400(SearchSchema, await jsonBody(c), 'search index query')
    return c.json(await log.searchIndex(query))
  })

  app.get('/api/v1/log', async (c) => c.json(await log.getLogInfo()))

  app.get('/api/v1/log/proof', async (c) => {
    const firstText = c.req.query('firstSize')
    const firstSize = firstText === undefined ? 1 : parseOr400(DECIMAL, firstText, 'firstSize')
    const lastSize = parseOr400(DECIMAL, c.req.query('lastSize'), 'lastSize')
    const treeText = c.req.query('treeID')
    const treeId = treeText === undefined ? undefined : parseOr400(TREE_ID, treeText, 'treeID')
    return c.json(
      await log.getConsistencyProof({ firstSize, lastSize, ...(treeId === undefined ? {} : { treeId }) }),
    )
  })

  app.get('/api/v1/log/publicKey', async (c) => {
    const treeText = c.req.query('treeID')
    const treeId = treeText === undefined ? undefined : parseOr400(TREE_ID, treeText, 'treeID')
    const pem = await log.getPublicKey(treeId === undefined ? {} : { treeId })
    return c.body(pem, 200, { 'Content-Type': 'application/x-pem-file' })
  })

  app.onError((error, c) => {
    if (error instanceof ApiError) return errorBody(c, error.status, error.message)
    if (TlogError.is(error)) return errorBody(c, STATUS_BY_CODE[error.code] ?? 500, error.message)
    // Anything else is ours to fix; the cause stays out of the response.
    return errorBody(c, 500, 'internal error')
  })

  return app
}
