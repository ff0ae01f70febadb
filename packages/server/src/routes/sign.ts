import type { TrustService } from '@certus-trust/service'
import { Hono } from 'hono'
import type { AppLogger } from '../app.js'
import { audit } from '../audit.js'
import { ServerError } from '../errors.js'
import type { ServerMetrics } from '../metrics.js'
import { requireRole } from '../middleware/auth.js'
import { SignRequestSchema } from '../schemas.js'
import { parseJsonBody } from '../validation.js'

/** `POST /v1/sign` (signer role). */
export function signRoutes(deps: { service: TrustService; metrics: ServerMetrics; logger: AppLogger }): Hono {
  const routes = new Hono()
  routes.post('/v1/sign', requireRole('signer'), async (c) => {
    // How the answer is written is not part of the request signed (nor of its idempotency fingerprint).
    const { signature_encoding: encoding, ...body } = await parseJsonBody(c, SignRequestSchema)
    // The Idempotency-Key header is accepted as an alternative to the body field.
    const headerKey = c.req.header('idempotency-key')
    const request =
      headerKey && !body.idempotency_key ? { ...body, idempotency_key: parseKey(headerKey) } : body
    const caller = c.get('caller')
    const started = performance.now()
    const artifactType = deps.metrics.artifactTypeLabel(request.artifact_type)
    try {
      const result = await deps.service.sign(request, {
        requestId: c.get('requestId'),
        caller: caller.id,
        signal: c.req.raw.signal,
      })
      const seconds = (performance.now() - started) / 1000
      deps.metrics.signingTotal.inc({ status: 'success', artifact_type: artifactType })
      deps.metrics.signingDuration.observe({ status: 'success' }, seconds)
      audit(deps.logger, {
        action: 'sign',
        requestId: c.get('requestId'),
        caller: caller.id,
        artifact: request.artifact,
        artifactType: request.artifact_type,
        result: 'success',
        entryId: result.entry_id,
        durationMs: seconds * 1000,
      })
      const signature =
        encoding === 'hex' ? Buffer.from(result.signature, 'base64').toString('hex') : result.signature
      return c.json({ ...result, signature }, 201)
    } catch (error) {
      const seconds = (performance.now() - started) / 1000
      const code = (error as { code?: string })?.code ?? 'SERVER_INTERNAL'
      deps.metrics.signingTotal.inc({ status: 'error', artifact_type: artifactType })
      deps.metrics.signingDuration.observe({ status: 'error' }, seconds)
      audit(deps.logger, {
        action: 'sign',
        requestId: c.get('requestId'),
        caller: caller.id,
        artifact: request.artifact,
        artifactType: request.artifact_type,
        result: 'error',
        errorCode: code,
        durationMs: seconds * 1000,
      })
      throw error
    }
  })
  return routes
}

function parseKey(value: string): string {
  const key = value.trim()
  if (!/^[A-Za-z0-9._:-]{8,128}$/.test(key)) {
    throw new ServerError({
      code: 'SERVER_BAD_REQUEST',
      message: 'invalid Idempotency-Key header: expected 8–128 characters of [A-Za-z0-9._:-]',
    })
  }
  return key
}
