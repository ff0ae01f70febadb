import { type Context, Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { closingBodyLimit } from '../body-limit.js'
import { TlogError } from '../errors.js'
import { STATUS_BY_CODE } from '../rekor-api.js'
import type { TimestampAuthority } from './timestamp-authority.js'
import { MAX_TIMESTAMP_REQUEST_BYTES, parseJsonTimestampRequest } from './timestamp-request.js'

/** Media type of a DER TimeStampReq (RFC 3161 §3.4). */
export const TIMESTAMP_QUERY_MEDIA_TYPE = 'application/timestamp-query'

/** Media type of a DER TimeStampResp (RFC 3161 §3.4). */
export const TIMESTAMP_REPLY_MEDIA_TYPE = 'application/timestamp-reply'

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

function mediaType(c: Context): string {
  return (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
}

async function readRequest(c: Context, tsa: TimestampAuthority): Promise<Uint8Array> {
  const type = mediaType(c)
  if (type === TIMESTAMP_QUERY_MEDIA_TYPE) return tsa.respond(new Uint8Array(await c.req.arrayBuffer()))
  if (type === 'application/json') {
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      throw new ApiError(400, 'error parsing request body: expected JSON')
    }
    return tsa.timestamp(parseJsonTimestampRequest(body))
  }
  throw new ApiError(415, `send ${TIMESTAMP_QUERY_MEDIA_TYPE} (DER TimeStampReq) or application/json`)
}

/**
 * A Hono sub-application serving Sigstore's timestamp-authority API: `POST /api/v1/timestamp` (DER
 * `application/timestamp-query` or the JSON form `{ artifactHash, hashAlgorithm }` that @sigstore/sign sends),
 * answered 201 with a DER TimeStampResp, and `GET /api/v1/timestamp/certchain` (PEM, leaf first). Errors are JSON
 * `{ code, message }` with a 4xx status for bad requests.
 *
 * @example
 * app.route('/', createTimestampApi(await createTimestampAuthority()))
 */
export function createTimestampApi(tsa: TimestampAuthority): Hono {
  const app = new Hono()

  app.use(
    '/api/v1/timestamp',
    // The JSON form base64-encodes the digest and may add small fields; leave it room beyond the DER limit.
    closingBodyLimit(MAX_TIMESTAMP_REQUEST_BYTES * 2, (c) => errorBody(c, 413, 'request body too large')),
  )

  app.post('/api/v1/timestamp', async (c) => {
    const response = await readRequest(c, tsa)
    return c.body(response as Uint8Array<ArrayBuffer>, 201, { 'Content-Type': TIMESTAMP_REPLY_MEDIA_TYPE })
  })

  app.get('/api/v1/timestamp/certchain', (c) =>
    c.body(tsa.certificateChainPem(), 200, { 'Content-Type': 'application/pem-certificate-chain' }),
  )

  app.onError((error, c) => {
    if (error instanceof ApiError) return errorBody(c, error.status, error.message)
    if (TlogError.is(error)) return errorBody(c, STATUS_BY_CODE[error.code] ?? 500, error.message)
    return errorBody(c, 500, 'internal error')
  })

  return app
}
