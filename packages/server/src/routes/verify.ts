import type { TrustService } from '@certus-trust/service'
import { Hono } from 'hono'
import type { AppLogger } from '../app.js'
import { audit } from '../audit.js'
import type { ServerMetrics } from '../metrics.js'
import { requireRole } from '../middleware/auth.js'
import { verifyRequestSchemaFor } from '../schemas.js'
import { parseJsonBodyWith } from '../validation.js'

/** `POST /v1/verify` (verifier role). An invalid signature is 200 with `valid: false`. */
export function verifyRoutes(deps: {
  service: TrustService
  metrics: ServerMetrics
  logger: AppLogger
}): Hono {
  const routes = new Hono()
  routes.post('/v1/verify', requireRole('verifier'), async (c) => {
    const request = await parseJsonBodyWith(c, verifyRequestSchemaFor)
    const caller = c.get('caller')
    const started = performance.now()
    try {
      const result = await deps.service.verify(request, {
        requestId: c.get('requestId'),
        caller: caller.id,
        signal: c.req.raw.signal,
      })
      const seconds = (performance.now() - started) / 1000
      deps.metrics.verificationTotal.inc({ valid: String(result.valid) })
      deps.metrics.verificationDuration.observe({ valid: String(result.valid) }, seconds)
      audit(deps.logger, {
        action: 'verify',
        requestId: c.get('requestId'),
        caller: caller.id,
        artifact: request.artifact,
        result: result.valid ? 'valid' : 'invalid',
        errorCode: result.failure?.code,
        durationMs: seconds * 1000,
      })
      return c.json(result, 200)
    } catch (error) {
      const seconds = (performance.now() - started) / 1000
      deps.metrics.verificationTotal.inc({ valid: 'error' })
      deps.metrics.verificationDuration.observe({ valid: 'error' }, seconds)
      audit(deps.logger, {
        action: 'verify',
        requestId: c.get('requestId'),
        caller: caller.id,
        artifact: request.artifact,
        result: 'error',
        errorCode: (error as { code?: string })?.code ?? 'SERVER_INTERNAL',
        durationMs: seconds * 1000,
      })
      throw error
    }
  })
  return routes
}
