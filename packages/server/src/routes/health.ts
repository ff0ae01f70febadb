import type { ReadinessCheck, TrustService } from '@certus-trust/service'
import { Hono } from 'hono'

/** `/v1/health` (liveness: the process answers) and `/v1/ready` (storage and log reachable). */
export function healthRoutes(deps: {
  service: TrustService
  isDraining?: (() => boolean) | undefined
}): Hono {
  const routes = new Hono()
  routes.get('/v1/health', (c) => c.json({ status: 'ok' as const }))
  routes.get('/v1/ready', async (c) => {
    let checks: Record<string, ReadinessCheck>
    try {
      checks = await deps.service.checkReady()
    } catch {
      checks = { service: { ok: false, message: 'readiness check failed' } }
    }
    if (deps.isDraining?.()) checks = { ...checks, shutdown: { ok: false, message: 'shutting down' } }
    const ready = Object.values(checks).every((check) => check.ok)
    c.header('Cache-Control', 'no-store')
    return c.json({ status: ready ? ('ready' as const) : ('not_ready' as const), checks }, ready ? 200 : 503)
  })
  return routes
}
