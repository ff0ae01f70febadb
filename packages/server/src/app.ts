import type { Logger } from '@certus-trust/core'
import type { TrustService } from '@certus-trust/service'
import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import type { Hono, MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { requestId } from 'hono/request-id'
import { routePath } from 'hono/route'
import { secureHeaders } from 'hono/secure-headers'
import * as z from 'zod'
import type { Config } from './config.js'
import type { ServerError } from './errors.js'
import { toErrorResponse } from './http-errors.js'
import { createMetrics, type ServerMetrics } from './metrics.js'
import { authenticate, rejectBadCredentials, requireRole } from './middleware/auth.js'
import { limitRequestBody } from './middleware/body-limit.js'
import { rateLimit } from './middleware/rate-limit.js'
import { openApiDocument, registerSecuritySchemes } from './openapi.js'
import { healthRoutes } from './routes/health.js'
import { metaRoutes } from './routes/meta.js'
import { signRoutes } from './routes/sign.js'
import { transparencyRoutes } from './routes/transparency.js'
import { verifyRoutes } from './routes/verify.js'

declare module 'hono' {
  interface ContextVariableMap {
    requestId: string
  }
}

/** A pino-like logger: core's Logger plus `child()`; `pino()` instances fit. */
export interface AppLogger extends Logger {
  child?(bindings: Record<string, unknown>): Logger
}

/** Everything {@link createApp} composes. No environment is read and nothing listens. */
export interface AppDeps {
  /** The trust operations (sign, verify, look up); see `createTrustService`. */
  service: TrustService
  /**
   * A Hono app serving the Rekor v1 API (`/api/v1/...`), e.g. tlog's `createRekorApi(log)`, and optionally the
   * Rekor v2 API and tiles (`/api/v2/...`, tlog's `createRekorV2Api`) and the timestamp authority's
   * `/api/v1/timestamp`; omitted = not mounted.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any Hono app (its env and schema types do not matter here)
  rekorApi?: Hono<any> | undefined
  /** Authentication and anonymous-access settings (the `auth` part of `Config`). */
  auth: Config['auth']
  /** Per-caller rate limit. @default { max: 600, windowMs: 60_000 } */
  rateLimit?: Config['rateLimit'] | undefined
  /** Maximum request body in bytes. @default 1 MiB */
  bodyLimitBytes?: number | undefined
  /** Allowed CORS origins; empty = CORS off. @default [] */
  corsOrigins?: readonly string[] | undefined
  /** Request and audit log sink. @default no-op */
  logger?: AppLogger | undefined
  /** Prometheus metrics. @default a fresh registry */
  metrics?: ServerMetrics | undefined
  /** True when this app is served over TLS by this process: only then is `Strict-Transport-Security` sent. */
  servedOverTls?: boolean | undefined
  /** Reports whether the server is draining (shutdown in progress) so `/v1/ready` fails first. */
  isDraining?: (() => boolean) | undefined
}

/**
 * Builds the Certus Trust HTTP app: `/v1/sign`, `/v1/verify`, `/v1/transparency`, health, metrics,
 * `/openapi.json`, `/docs` and (when given) the embedded log's Rekor v1 API under `/api/v1`.
 * Pure composition: no environment, no listening — drive it with `app.request()` or `startServer()`.
 *
 * @example
 * const app = createApp({ service, auth: config.auth })
 * const response = await app.request('/v1/health')
 */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono()
  const metrics = deps.metrics ?? createMetrics({ defaultMetrics: false })
  const logger: AppLogger = deps.logger ?? { debug() {}, info() {}, warn() {}, error() {} }
  const limits = deps.rateLimit ?? { max: 600, windowMs: 60_000 }
  const maxBody = deps.bodyLimitBytes ?? 1024 * 1024

  app.onError((error, c) => {
    const { status, body } = toErrorResponse(error)
    const requestIdValue = c.get('requestId')
    if (status >= 500) {
      // The cause chain goes to the log only; the response carries the code and the request id.
      logger.error({ requestId: requestIdValue, code: body.error.code, err: error }, 'request failed')
    }
    if (body.error.code === 'SERVER_RATE_LIMITED') {
      const retry = (error as ServerError).details?.retryAfterSeconds
      c.header('Retry-After', String(typeof retry === 'number' ? retry : 1))
    }
    if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="certus-trust"')
    // The rest of an oversized body is still on the wire: close the connection rather than reuse it, or the
    // unread bytes would be taken for the next request on a keep-alive connection.
    if (status === 413) c.header('Connection', 'close')
    // A dependency is down: tell well-behaved clients when to come back instead of hammering it.
    if (status === 503) c.header('Retry-After', '5')
    return c.json(body, status)
  })
  app.notFound((c) =>
    c.json(
      { error: { code: 'SERVER_NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } },
      404,
    ),
  )

  app.use(
    requestId({
      limitLength: 128,
      // Accept a caller's id only if it is plainly safe to echo into logs and headers.
      generator: () => crypto.randomUUID(),
    }),
  )
  app.use(requestLog(logger, metrics))
  app.use(
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      crossOriginResourcePolicy: 'same-origin',
      removePoweredBy: true,
      // HSTS over plain HTTP is ignored by browsers at best and misleading at worst (RFC 6797 §7.2).
      strictTransportSecurity: deps.servedOverTls ? 'max-age=15552000; includeSubDomains' : false,
    }),
  )
  app.use(async (c, next) => {
    // Signatures, verdicts and entries are per request: no shared cache may keep them. Routes whose answers are
    // immutable (log tiles) set their own Cache-Control, which replaces this one. Set before the route runs, so it
    // travels in the response's init: a header set on a finished response makes Hono rebuild it as a web Response
    // with a streamed body, about a tenth of the server's CPU time per request.
    c.header('Cache-Control', 'no-store')
    await next()
  })
  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    const origins = [...deps.corsOrigins]
    app.use(
      cors({
        origin: origins.includes('*') ? '*' : origins,
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Content-Type', 'X-API-Key', 'X-Request-Id', 'Idempotency-Key'],
        exposeHeaders: [
          'X-Request-Id',
          'Retry-After',
          'RateLimit-Limit',
          'RateLimit-Remaining',
          'RateLimit-Reset',
        ],
        maxAge: 600,
      }),
    )
  }
  app.use(limitRequestBody(maxBody))

  // Liveness and readiness stay outside auth and rate limiting: orchestrators must always reach them.
  const routes = app.route('/', healthRoutes({ service: deps.service, isDraining: deps.isDraining }))

  routes.use(authenticate(deps.auth))
  const limiter = rateLimit(limits)
  const rejector = rejectBadCredentials()
  routes.use(async function guard(c, next) {
    if (c.req.path === '/openapi.json' || c.req.path === '/docs' || c.req.path === '/') return next()
    await limiter(c, async () => {
      await rejector(c, next)
    })
  })
  if (deps.rekorApi) {
    routes.use('/api/v1/*', rekorApiGuard(deps.auth.publicReads))
    routes.use('/api/v2/*', rekorApiGuard(deps.auth.publicReads))
    routes.route('/', deps.rekorApi)
  }
  registerSecuritySchemes(app)
  let document: Record<string, unknown> | undefined
  return routes
    .route('/', metaRoutes({ metrics, publicMetrics: deps.auth.publicMetrics }))
    .route('/', signRoutes({ service: deps.service, metrics, logger }))
    .route('/', verifyRoutes({ service: deps.service, metrics, logger }))
    .route('/', transparencyRoutes({ service: deps.service, publicReads: deps.auth.publicReads }))
    .openapi(openApiRoute, (c) => {
      // Built once, lazily: the JSON Schema conversion is not free and the document never changes.
      document ??= openApiDocument(app, { serverUrl: new URL(c.req.url).origin })
      return c.json(document, 200)
    })
}

/** The type of {@link createApp}'s app: hand it to Hono's `hc<AppType>()` for a typed client. */
export type AppType = ReturnType<typeof createApp>

/**
 * The OpenAPI 3.1 document of the app {@link createApp} builds, generated from its routes' schemas (what a running
 * server serves at `/openapi.json`).
 * @param options.serverUrl - the public base URL to list under `servers`.
 */
export function createOpenApiDocument(
  options: { serverUrl?: string | undefined; version?: string } = {},
): Record<string, unknown> {
  // Only the route table matters here: no handler runs, so no service is needed.
  const auth = {
    apiKeys: [],
    anonymousRoles: [],
    anonymousLoopbackOnly: true,
    publicReads: false,
    publicMetrics: false,
  }
  return openApiDocument(createApp({ service: {} as TrustService, auth }), options)
}

const openApiRoute = createRoute({
  method: 'get',
  path: '/openapi.json',
  summary: 'This OpenAPI document',
  responses: {
    200: {
      description: 'OpenAPI 3.1',
      content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
    },
  },
})

/** Rekor API: adding entries needs the signer role; reads need the verifier role unless reads are public. */
function rekorApiGuard(publicReads: boolean): MiddlewareHandler {
  const signer = requireRole('signer')
  const verifier = requireRole('verifier')
  return async function guardRekorApi(c, next) {
    // Timestamping signs whatever digest it is given, so it is a write like adding an entry (v1 or v2).
    const isWrite =
      c.req.method === 'POST' &&
      /^\/api\/(?:v1\/(?:log\/entries|timestamp)|v2\/log\/entries)\/?$/.test(c.req.path)
    if (isWrite) return signer(c, next)
    if (publicReads) return next()
    return verifier(c, next)
  }
}

/** One JSON line per request (no bodies, no query strings, no credentials) plus HTTP metrics. */
function requestLog(logger: AppLogger, metrics: ServerMetrics): MiddlewareHandler {
  return async function logRequest(c, next) {
    const started = performance.now()
    try {
      await next()
    } finally {
      const durationMs = Math.round((performance.now() - started) * 100) / 100
      // The last matched route is the handler's pattern (bounded label values, no ids).
      const last = routePath(c, -1)
      const route = last && last !== '/*' && last !== '*' ? last : 'unmatched'
      const status = c.res.status
      metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) })
      metrics.httpDuration.observe({ method: c.req.method, route }, durationMs / 1000)
      logger.info(
        {
          requestId: c.get('requestId'),
          method: c.req.method,
          path: c.req.path,
          status,
          durationMs,
          caller: c.get('caller')?.id,
        },
        'request',
      )
    }
  }
}
