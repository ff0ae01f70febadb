import type { TrustService } from '@certus-trust/service'
import { Hono, type MiddlewareHandler } from 'hono'
import { requireRole } from '../middleware/auth.js'
import { EntryIdParamSchema, EntryQuerySchema, ListQuerySchema } from '../schemas.js'
import { parseParams, parseQuery } from '../validation.js'

/** `GET /v1/transparency/{entry_id}` and `GET /v1/transparency?artifact=` (verifier role unless reads are public). */
export function transparencyRoutes(deps: { service: TrustService; publicReads: boolean }): Hono {
  const routes = new Hono()
  const guard: MiddlewareHandler = deps.publicReads ? async (_c, next) => next() : requireRole('verifier')
  routes.get('/v1/transparency', guard, async (c) => {
    const query = parseQuery(c, ListQuerySchema)
    const page = await deps.service.listEntries(query.artifact, {
      limit: query.limit ?? 20,
      cursor: query.cursor,
    })
    return c.json(page)
  })
  routes.get('/v1/transparency/:entry_id', guard, async (c) => {
    const { entry_id } = parseParams(c, EntryIdParamSchema)
    const { include_proof } = parseQuery(c, EntryQuerySchema)
    // The production guide's default: the inclusion proof comes with the entry unless include_proof=false.
    return c.json(await deps.service.getEntry(entry_id, { includeProof: include_proof ?? true }))
  })
  return routes
}
