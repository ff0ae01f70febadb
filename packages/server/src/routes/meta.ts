import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import * as z from 'zod'
import { docsPage } from '../docs-page.js'
import type { ServerMetrics } from '../metrics.js'
import { requireRole } from '../middleware/auth.js'
import { SECURITY } from '../openapi.js'

const rootRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'Redirects to /docs',
  responses: { 302: { description: 'to /docs' } },
})

const docsRoute = createRoute({
  method: 'get',
  path: '/docs',
  summary: 'A small HTML page describing the API',
  responses: { 200: { description: 'HTML', content: { 'text/html': { schema: z.string() } } } },
})

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics (admin role unless CERTUS_TRUST_PUBLIC_METRICS=true)',
  security: SECURITY,
  responses: {
    200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
  },
})

/** `/metrics` (admin role unless public), the `/docs` page and `/` (to `/docs`). `/openapi.json` is the app's. */
export function metaRoutes(deps: { metrics: ServerMetrics; publicMetrics: boolean }) {
  const routes = new OpenAPIHono()
  const guard: MiddlewareHandler = deps.publicMetrics ? async (_c, next) => next() : requireRole('admin')
  routes.use('/metrics', guard)
  return routes
    .openapi(rootRoute, (c) => c.redirect('/docs', 302))
    .openapi(docsRoute, (c) => {
      c.header(
        'Content-Security-Policy',
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      )
      return c.html(docsPage(), 200)
    })
    .openapi(metricsRoute, async (c) => {
      const text = await deps.metrics.registry.metrics()
      return c.text(text, 200, { 'Content-Type': deps.metrics.registry.contentType })
    })
}
