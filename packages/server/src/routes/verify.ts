import type { TrustService } from '@certus-trust/service'
import {
  VerifyRequestSchema,
  VerifyResponseSchema,
  verifyRequestSchemaFor,
} from '@certus-trust/service/schemas'
import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import type { AppLogger } from '../app.js'
import { audit } from '../audit.js'
import type { ServerMetrics } from '../metrics.js'
import { requireRole } from '../middleware/auth.js'
import { errorResponses, SECURITY } from '../openapi.js'
import { jsonBody, rejectInvalid } from '../validation.js'

const verifyRoute = createRoute({
  method: 'post',
  path: '/v1/verify',
  summary: 'Verify a bundle or a signature against an artifact digest',
  security: SECURITY,
  middleware: [requireRole('verifier'), jsonBody] as const,
  request: { body: { required: true, content: { 'application/json': { schema: VerifyRequestSchema } } } },
  responses: {
    200: {
      description: 'verification result (an invalid signature is valid: false)',
      content: { 'application/json': { schema: VerifyResponseSchema } },
    },
    ...errorResponses([400, 401, 403, 413, 422, 429, 503]),
  },
})

/** `POST /v1/verify` (verifier role). An invalid signature is 200 with `valid: false`. */
export function verifyRoutes(deps: { service: TrustService; metrics: ServerMetrics; logger: AppLogger }) {
  // Errors come from the variant the body is meant to be, not from the union.
  const routes = new OpenAPIHono({ defaultHook: rejectInvalid(verifyRequestSchemaFor) })
  return routes.openapi(verifyRoute, async (c) => {
    const request = c.req.valid('json')
    const caller = c.get('caller')
    const started = performance.now()
    const record = (valid: string, fields: { result: 'valid' | 'invalid' | 'error'; errorCode?: string }) => {
      const seconds = (performance.now() - started) / 1000
      deps.metrics.verificationTotal.inc({ valid })
      deps.metrics.verificationDuration.observe({ valid }, seconds)
      audit(deps.logger, {
        action: 'verify',
        requestId: c.get('requestId'),
        caller: caller.id,
        artifact: request.artifact,
        ...fields,
        durationMs: seconds * 1000,
      })
    }
    try {
      const result = await deps.service.verify(request, {
        requestId: c.get('requestId'),
        caller: caller.id,
        signal: c.req.raw.signal,
      })
      record(String(result.valid), {
        result: result.valid ? 'valid' : 'invalid',
        errorCode: result.failure?.code,
      })
      return c.json(result, 200)
    } catch (error) {
      record('error', {
        result: 'error',
        errorCode: (error as { code?: string })?.code ?? 'SERVER_INTERNAL',
      })
      throw error
    }
  })
}
