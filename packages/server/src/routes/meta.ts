import { Hono, type MiddlewareHandler } from 'hono'
import { docsPage } from '../docs-page.js'
import type { ServerMetrics } from '../metrics.js'
import { requireRole } from '../middleware/auth.js'
import { createOpenApiDocument } from '../openapi.js'

/** `/metrics` (admin role unless public), `/openapi.json` and the `/docs` page. */
export function metaRoutes(deps: { metrics: ServerMetrics; publicMetrics: boolean }): Hono {
  const routes = new Hono()
  let document: Record<string, unknown> | undefined
  routes.get('/openapi.json', (c) => {
    // Built once, lazily: zod's JSON Schema conversion is not free and the document never changes.
    document ??= createOpenApiDocument({ serverUrl: new URL(c.req.url).origin })
    return c.json(document)
  })
  routes.get('/', (c) => c.redirect('/docs', 302))
  routes.get('/docs', (c) => {
    c.header(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    )
    return c.html(docsPage())
  })
  const admin = requireRole('admin')
  const guard: MiddlewareHandler = deps.publicMetrics ? async (_c, next) => next() : admin
  routes.get('/metrics', guard, async (c) => {
    const text = await deps.metrics.registry.metrics()
    return c.text(text, 200, { 'Content-Type': deps.metrics.registry.contentType })
  })
  return routes
}
