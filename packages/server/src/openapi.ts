import type { OpenAPIHono } from '@hono/zod-openapi'
import { ErrorResponseSchema } from './schemas.js'

/*
 * The OpenAPI document is generated from the routes themselves: each route in `routes/*.ts` is a `createRoute`
 * whose zod schemas both validate the request and describe it, so the document cannot drift from the code.
 */

/** Every protected route accepts a bearer token (API key or JWT) or an `X-API-Key` header. */
export const SECURITY: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }]

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid input: malformed JSON, not JSON, wrong types, bad digest',
  401: 'missing or invalid credentials',
  403: 'the caller lacks the required role',
  404: 'unknown entry',
  409: 'idempotency key reused with a different request',
  413: 'body larger than the configured limit',
  422: 'the bundle cannot be verified at all (not a Sigstore bundle)',
  429: 'rate limit exceeded (see Retry-After)',
  501: 'not offered by this server (transparency off, a key that cannot sign a digest)',
  502: 'a remote log, Fulcio, TSA or KMS failed',
  503: 'storage or a remote service is unavailable or timed out',
}

/** The `responses` entries of the error statuses a route can answer, each with the common error body. */
export function errorResponses<const Status extends number>(statuses: readonly Status[]) {
  const responses = {} as Record<Status, { description: string; content: JsonContent }>
  for (const status of statuses) {
    responses[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'error',
      content: { 'application/json': { schema: ErrorResponseSchema } },
    }
  }
  return responses
}
type JsonContent = { 'application/json': { schema: typeof ErrorResponseSchema } }

/** Declares the {@link SECURITY} schemes on the app that serves the document (once). */
export function registerSecuritySchemes(app: OpenAPIHono): void {
  const registry = app.openAPIRegistry
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'API key or JWT',
  })
  registry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' })
}

/**
 * The OpenAPI 3.1 document of `app`'s routes.
 * @param options.serverUrl - the public base URL to list under `servers`.
 */
export function openApiDocument(
  app: OpenAPIHono,
  options: { serverUrl?: string | undefined; version?: string } = {},
): Record<string, unknown> {
  return app.getOpenAPI31Document(
    {
      openapi: '3.1.0',
      info: {
        title: 'Certus Trust API',
        version: options.version ?? '0.1.0',
        description:
          'Sign and verify artifacts, backed by a Rekor-compatible transparency log. The Rekor v1 API of the embedded log is served under /api/v1, the embedded Rekor v2 log at POST /api/v2/log/entries with its C2SP tiles under /api/v2/, and the timestamp authority at /api/v1/timestamp.',
      },
      ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    },
    // Components in name order: registration order follows mounting, which readers should not have to.
    { sortComponents: 'alphabetically' },
  ) as unknown as Record<string, unknown>
}
