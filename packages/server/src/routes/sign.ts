import type { TrustService } from '@certus-trust/service'
import { SignRequestSchema, SignResponseSchema } from '@certus-trust/service/schemas'
import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import type { AppLogger } from '../app.js'
import { audit } from '../audit.js'
import { ServerError } from '../errors.js'
import type { ServerMetrics } from '../metrics.js'
import { requireRole } from '../middleware/auth.js'
import { errorResponses, SECURITY } from '../openapi.js'
import { jsonBody, rejectInvalid } from '../validation.js'

const signRoute = createRoute({
  method: 'post',
  path: '/v1/sign',
  summary: 'Sign an artifact digest (or attest a predicate about it) and record it in the transparency log',
  security: SECURITY,
  middleware: [requireRole('signer'), jsonBody] as const,
  // Read by the handler, not validated here: optional for clients, and a bad one gets its own message.
  parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
  request: { body: { required: true, content: { 'application/json': { schema: SignRequestSchema } } } },
  responses: {
    201: {
      description: 'signed, logged and recorded',
      content: { 'application/json': { schema: SignResponseSchema } },
    },
    ...errorResponses([400, 401, 403, 409, 413, 429, 501, 502, 503]),
  },
})

/** `POST /v1/sign` (signer role). */
export function signRoutes(deps: { service: TrustService; metrics: ServerMetrics; logger: AppLogger }) {
  return new OpenAPIHono({ defaultHook: rejectInvalid() }).openapi(signRoute, async (c) => {
    // How the answer is written is not part of the request signed (nor of its idempotency fingerprint).
    const { signature_encoding: encoding, ...body } = c.req.valid('json')
    // The Idempotency-Key header is accepted as an alternative to the body field.
    const headerKey = c.req.header('idempotency-key')
    const request =
      headerKey && !body.idempotency_key ? { ...body, idempotency_key: parseKey(headerKey) } : body
    const caller = c.get('caller')
    const started = performance.now()
    const artifactType = deps.metrics.artifactTypeLabel(request.artifact_type)
    const record = (outcome: 'success' | 'error', fields: { entryId?: string; errorCode?: string }) => {
      const seconds = (performance.now() - started) / 1000
      deps.metrics.signingTotal.inc({ status: outcome, artifact_type: artifactType })
      deps.metrics.signingDuration.observe({ status: outcome }, seconds)
      audit(deps.logger, {
        action: 'sign',
        requestId: c.get('requestId'),
        caller: caller.id,
        artifact: request.artifact,
        artifactType: request.artifact_type,
        result: outcome,
        ...fields,
        durationMs: seconds * 1000,
      })
    }
    try {
      const result = await deps.service.sign(request, {
        requestId: c.get('requestId'),
        caller: caller.id,
        signal: c.req.raw.signal,
      })
      record('success', { entryId: result.entry_id })
      const signature =
        encoding === 'hex' ? Buffer.from(result.signature, 'base64').toString('hex') : result.signature
      return c.json({ ...result, signature }, 201)
    } catch (error) {
      record('error', { errorCode: (error as { code?: string })?.code ?? 'SERVER_INTERNAL' })
      throw error
    }
  })
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
