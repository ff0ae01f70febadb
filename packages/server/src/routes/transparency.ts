import type { TrustService } from '@certus-trust/service'
import { TransparencyEntrySchema, TransparencyListSchema } from '@certus-trust/service/schemas'
import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { requireRole } from '../middleware/auth.js'
import { errorResponses, SECURITY } from '../openapi.js'
import { EntryIdParamSchema, EntryQuerySchema, ListQuerySchema } from '../schemas.js'
import { rejectInvalid } from '../validation.js'

const listRoute = createRoute({
  method: 'get',
  path: '/v1/transparency',
  summary: 'List transparency entries for an artifact digest (paged, oldest first)',
  security: SECURITY,
  request: { query: ListQuerySchema },
  responses: {
    200: {
      description: 'one page of entries',
      content: { 'application/json': { schema: TransparencyListSchema } },
    },
    ...errorResponses([400, 401, 403, 429, 501]),
  },
})

const entryRoute = createRoute({
  method: 'get',
  path: '/v1/transparency/{entry_id}',
  summary: 'One transparency entry, optionally with an inclusion proof',
  security: SECURITY,
  request: { params: EntryIdParamSchema, query: EntryQuerySchema },
  responses: {
    200: { description: 'the entry', content: { 'application/json': { schema: TransparencyEntrySchema } } },
    ...errorResponses([400, 401, 403, 404, 429, 501]),
  },
})

/** `GET /v1/transparency/{entry_id}` and `GET /v1/transparency?artifact=` (verifier role unless reads are public). */
export function transparencyRoutes(deps: { service: TrustService; publicReads: boolean }) {
  const routes = new OpenAPIHono({ defaultHook: rejectInvalid() })
  const guard: MiddlewareHandler = deps.publicReads ? async (_c, next) => next() : requireRole('verifier')
  // The guard runs before the validators: an unauthenticated caller learns nothing about the input rules.
  routes.use('/v1/transparency/*', guard)
  return routes
    .openapi(listRoute, async (c) => {
      const query = c.req.valid('query')
      const page = await deps.service.listEntries(query.artifact, {
        limit: query.limit ?? 20,
        cursor: query.cursor,
      })
      return c.json(page, 200)
    })
    .openapi(entryRoute, async (c) => {
      const { entry_id } = c.req.valid('param')
      const { include_proof } = c.req.valid('query')
      // The production guide's default: the inclusion proof comes with the entry unless include_proof=false.
      return c.json(await deps.service.getEntry(entry_id, { includeProof: include_proof ?? true }), 200)
    })
}
