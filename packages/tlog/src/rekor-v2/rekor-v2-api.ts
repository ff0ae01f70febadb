import { type LogEntry, TILES_PATH_PREFIX } from '@certus-trust/log-protocol'
import { type Context, Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { closingBodyLimit } from '../body-limit.js'
import { TlogError } from '../errors.js'
import { DEFAULT_MAX_BODY_BYTES, STATUS_BY_CODE } from '../rekor-api.js'
import type { TransparencyLog } from '../transparency-log.js'
import { parseTilePath } from './tile-path.js'

/** Options of {@link createRekorV2Api}. */
export interface RekorV2ApiOptions {
  /** Largest accepted request body in bytes; larger bodies get 413. @default 4 MiB */
  maxBodyBytes?: number
}

/** Full tiles and bundles never change: cache them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

// grpc-gateway answers with the gRPC status code in the body; the HTTP status follows it.
const GRPC_CODE_BY_STATUS: Partial<Record<number, number>> = {
  400: 3,
  404: 5,
  409: 6,
  413: 8,
  422: 3,
  500: 13,
  503: 14,
}

function errorBody(c: Context, status: ContentfulStatusCode, message: string) {
  return c.json({ code: GRPC_CODE_BY_STATUS[status] ?? 2, message, details: [] }, status)
}

function toBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64')
}

/**
 * A logged entry as Rekor v2 answers `CreateEntry`: a protobuf-JSON TransparencyLogEntry with every field present
 * (`integratedTime` "0", `inclusionPromise` null: no SET), the inclusion proof and its signed checkpoint.
 */
export function toRekorV2Entry(entry: LogEntry): Record<string, unknown> {
  const proof = entry.verification?.inclusionProof
  const body = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8')) as {
    kind: string
    apiVersion: string
  }
  return {
    logIndex: String(entry.logIndex),
    logId: { keyId: toBase64(entry.logID) },
    kindVersion: { kind: body.kind, version: body.apiVersion },
    integratedTime: '0',
    inclusionPromise: null,
    inclusionProof: proof
      ? {
          logIndex: String(proof.logIndex),
          rootHash: toBase64(proof.rootHash),
          treeSize: String(proof.treeSize),
          hashes: proof.hashes.map(toBase64),
          checkpoint: { envelope: proof.checkpoint },
        }
      : null,
    canonicalizedBody: entry.body,
  }
}

function binary(c: Context, bytes: Uint8Array, cacheControl: string): Response {
  return c.body(new Uint8Array(bytes), 200, {
    'Content-Type': 'application/octet-stream',
    'Cache-Control': cacheControl,
  })
}

/**
 * A Hono sub-application serving a Rekor v2 log (`apiVersion: 2`): `POST /api/v2/log/entries` (rekor-tiles'
 * `CreateEntryRequest` → TransparencyLogEntry, 201) and the C2SP tlog-tiles reads under `/api/v2`: `checkpoint`,
 * `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`. Errors use grpc-gateway's body `{ code, message, details }`
 * with 4xx statuses for bad requests (nothing is appended) and 409 plus `x-log-index` for a duplicate.
 *
 * @example
 * const app = new Hono()
 * app.route('/', createRekorV2Api(await createTransparencyLog({ storage, apiVersion: 2 })))
 */
export function createRekorV2Api(log: TransparencyLog, options: RekorV2ApiOptions = {}): Hono {
  const app = new Hono()
  app.use(
    '/api/v2/*',
    closingBodyLimit(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, (c) =>
      errorBody(c, 413, 'request body too large'),
    ),
  )

  app.post('/api/v2/log/entries', async (c) => {
    let request: unknown
    try {
      request = await c.req.json()
    } catch {
      return errorBody(c, 400, 'invalid request: the body is not JSON')
    }
    try {
      return c.json(toRekorV2Entry(await log.createEntry(request, { signal: c.req.raw.signal })), 201)
    } catch (error) {
      const index = TlogError.is(error, 'TLOG_ENTRY_CONFLICT') ? error.details.logIndex : undefined
      if (typeof index === 'number') c.header('x-log-index', String(index))
      throw error
    }
  })

  app.get(`${TILES_PATH_PREFIX}/checkpoint`, async (c) =>
    c.body(await log.getCheckpoint(), 200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-cache',
    }),
  )

  app.get(`${TILES_PATH_PREFIX}/tile/*`, async (c) => {
    const path = parseTilePath(c.req.path.slice(`${TILES_PATH_PREFIX}/tile/`.length))
    if (!path) return errorBody(c, 400, 'malformed tile path')
    const width = path.width ?? 256
    const bytes =
      path.level === 'entries'
        ? await log.readEntryBundle(path.index, width)
        : await log.readTile(path.level, path.index, width)
    if (!bytes) return errorBody(c, 404, 'the tile does not exist (yet)')
    // A partial tile is replaced by a wider one as the log grows, but its bytes never change either.
    return binary(c, bytes, IMMUTABLE)
  })

  app.onError((error, c) => {
    if (TlogError.is(error)) return errorBody(c, STATUS_BY_CODE[error.code] ?? 500, error.message)
    // Anything else is ours to fix; the cause stays out of the response.
    return errorBody(c, 500, 'internal error')
  })
  return app
}
