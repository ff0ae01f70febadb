import type { ReadinessCheck, TrustService } from '@certus-trust/service'
import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import { HealthSchema, ReadySchema } from '../schemas.js'

const healthRoute = createRoute({
  method: 'get',
  path: '/v1/health',
  summary: 'Liveness',
  responses: { 200: { description: 'alive', content: { 'application/json': { schema: HealthSchema } } } },
})

const readyRoute = createRoute({
  method: 'get',
  path: '/v1/ready',
  summary: 'Readiness (storage and log reachable)',
  responses: {
    200: { description: 'ready', content: { 'application/json': { schema: ReadySchema } } },
    503: { description: 'not ready', content: { 'application/json': { schema: ReadySchema } } },
  },
})

/** `/v1/health` (liveness: the process answers) and `/v1/ready` (storage and log reachable). */
export function healthRoutes(deps: { service: TrustService; isDraining?: (() => boolean) | undefined }) {
  return new OpenAPIHono()
    .openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(readyRoute, async (c) => {
      let checks: Record<string, ReadinessCheck>
      try {
        checks = await deps.service.checkReady()
      } catch {
        checks = { service: { ok: false, message: 'readiness check failed' } }
      }
      if (deps.isDraining?.()) checks = { ...checks, shutdown: { ok: false, message: 'shutting down' } }
      const ready = Object.values(checks).every((check) => check.ok)
      c.header('Cache-Control', 'no-store')
      return ready
        ? c.json({ status: 'ready' as const, checks }, 200)
        : c.json({ status: 'not_ready' as const, checks }, 503)
    })
}
