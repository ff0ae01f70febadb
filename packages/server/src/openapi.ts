import { z } from 'zod'
import {
  EntryIdParamSchema,
  ErrorResponseSchema,
  HealthSchema,
  ListQuerySchema,
  ReadySchema,
  SignRequestSchema,
  SignResponseSchema,
  TransparencyEntrySchema,
  TransparencyListSchema,
  VerifyRequestSchema,
  VerifyResponseSchema,
} from './schemas.js'

type JsonSchema = Record<string, unknown>

const COMPONENT_PREFIX = '#/components/schemas/'

/** One schema on its own (query and path parameters: none of them carry a component id). */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // draft-2020-12 is what OpenAPI 3.1 uses; `unrepresentable: 'any'` keeps transforms from throwing.
  const json = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema
  delete json.$schema
  return json
}

/** Rewrites zod's local `#/$defs/X` references into component references. */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs)
  if (typeof node !== 'object' || node === null) return node
  const out: JsonSchema = {}
  for (const [key, value] of Object.entries(node)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/')
        ? `${COMPONENT_PREFIX}${value.slice('#/$defs/'.length)}`
        : rewriteRefs(value)
  }
  return out
}

/**
 * The named components, generated through one zod registry per direction so that a component used inside
 * another (TransparencyEntry inside TransparencyList) becomes a `#/components/schemas/…` reference instead of
 * a `{ $ref: '#/$defs/…', $defs }` wrapper that no OpenAPI tool can resolve. Request bodies are described as
 * the client sends them (`input`), responses as the server emits them (`output`).
 */
function componentSchemas(
  components: Array<[id: string, schema: z.ZodType, io: 'input' | 'output']>,
): Record<string, JsonSchema> {
  const generated: Record<string, JsonSchema> = {}
  const hoisted: Record<string, JsonSchema> = {}
  for (const io of ['input', 'output'] as const) {
    const registry = z.registry<{ id: string }>()
    for (const [id, schema, direction] of components) if (direction === io) registry.add(schema, { id })
    const result = z.toJSONSchema(registry, {
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
      uri: (id) => `${COMPONENT_PREFIX}${id}`,
    }) as { schemas: Record<string, JsonSchema> }
    for (const [id, schema] of Object.entries(result.schemas)) {
      const { $schema: _schema, $id: _id, $defs, ...rest } = schema
      // Schemas with an id outside this registry would land in local $defs: hoist them too.
      for (const [defId, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
        hoisted[defId] ??= rewriteRefs(def) as JsonSchema
      }
      generated[id] = rewriteRefs(rest) as JsonSchema
    }
  }
  // Keep the listed order (the docs follow it), then anything hoisted.
  const schemas: Record<string, JsonSchema> = {}
  for (const [id] of components) schemas[id] = generated[id]!
  for (const [id, schema] of Object.entries(hoisted)) schemas[id] ??= schema
  return schemas
}

function errorResponses(codes: number[]): Record<string, unknown> {
  const descriptions: Record<number, string> = {
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
  const out: Record<string, unknown> = {}
  for (const code of codes) {
    out[String(code)] = {
      description: descriptions[code] ?? 'error',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    }
  }
  return out
}

function queryParameters(schema: z.ZodObject): unknown[] {
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] }
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }))
}

/**
 * The OpenAPI 3.1 document, generated from the zod schemas the routes validate with.
 * @param options.serverUrl - the public base URL to list under `servers`.
 */
export function createOpenApiDocument(
  options: { serverUrl?: string | undefined; version?: string } = {},
): JsonSchema {
  const security = [{ bearer: [] }, { apiKey: [] }]
  const entryIdSchema = schemaOf(EntryIdParamSchema, 'input') as { properties: Record<string, JsonSchema> }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Certus Trust API',
      version: options.version ?? '0.1.0',
      description:
        'Sign and verify artifacts, backed by a Rekor-compatible transparency log. The Rekor v1 API of the embedded log is served under /api/v1, the embedded Rekor v2 log at POST /api/v2/log/entries with its C2SP tiles under /api/v2/, and the timestamp authority at /api/v1/timestamp.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key or JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: componentSchemas([
        ['SignRequest', SignRequestSchema, 'input'],
        ['SignResponse', SignResponseSchema, 'output'],
        ['VerifyRequest', VerifyRequestSchema, 'input'],
        ['VerifyResponse', VerifyResponseSchema, 'output'],
        ['TransparencyEntry', TransparencyEntrySchema, 'output'],
        ['TransparencyList', TransparencyListSchema, 'output'],
        ['Error', ErrorResponseSchema, 'output'],
        ['Health', HealthSchema, 'output'],
        ['Ready', ReadySchema, 'output'],
      ]),
    },
    paths: {
      '/v1/sign': {
        post: {
          summary:
            'Sign an artifact digest (or attest a predicate about it) and record it in the transparency log',
          security,
          parameters: [
            { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/SignRequest' } } },
          },
          responses: {
            '201': {
              description: 'signed, logged and recorded',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/SignResponse' } } },
            },
            ...errorResponses([400, 401, 403, 409, 413, 429, 501, 502, 503]),
          },
        },
      },
      '/v1/verify': {
        post: {
          summary: 'Verify a bundle or a signature against an artifact digest',
          security,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/VerifyRequest' } } },
          },
          responses: {
            '200': {
              description: 'verification result (an invalid signature is valid: false)',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/VerifyResponse' } } },
            },
            ...errorResponses([400, 401, 403, 413, 422, 429, 503]),
          },
        },
      },
      '/v1/transparency': {
        get: {
          summary: 'List transparency entries for an artifact digest (paged, oldest first)',
          security,
          parameters: queryParameters(ListQuerySchema),
          responses: {
            '200': {
              description: 'one page of entries',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/TransparencyList' } } },
            },
            ...errorResponses([400, 401, 403, 429, 501]),
          },
        },
      },
      '/v1/transparency/{entry_id}': {
        get: {
          summary: 'One transparency entry, optionally with an inclusion proof',
          security,
          parameters: [
            { name: 'entry_id', in: 'path', required: true, schema: entryIdSchema.properties.entry_id },
            {
              name: 'include_proof',
              in: 'query',
              required: false,
              schema: { type: 'string', enum: ['true', 'false'] },
            },
          ],
          responses: {
            '200': {
              description: 'the entry',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/TransparencyEntry' } } },
            },
            ...errorResponses([400, 401, 403, 404, 429, 501]),
          },
        },
      },
      '/v1/health': {
        get: {
          summary: 'Liveness',
          responses: {
            '200': {
              description: 'alive',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } },
            },
          },
        },
      },
      '/v1/ready': {
        get: {
          summary: 'Readiness (storage and log reachable)',
          responses: {
            '200': {
              description: 'ready',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Ready' } } },
            },
            '503': {
              description: 'not ready',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Ready' } } },
            },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (admin role unless CERTUS_TRUST_PUBLIC_METRICS=true)',
          security,
          responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': {} } } },
        },
      },
    },
  }
}
