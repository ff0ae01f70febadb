import { DigestSchema } from '@certus-trust/service/schemas'
import * as z from 'zod'

/*
 * The HTTP-only schemas: path and query parameters, health, errors. Request and response bodies are the
 * service's (`@certus-trust/service/schemas`); `/openapi.json` is generated from all of them.
 */

/** Path parameter of `GET /v1/transparency/{entry_id}`: a 64-hex UUID or an 80-hex entry ID. */
export const EntryIdParamSchema = z.strictObject({
  entry_id: z
    .string()
    .regex(/^([0-9a-fA-F]{64}|[0-9a-fA-F]{80})$/, { error: 'expected a 64- or 80-character hex entry ID' })
    .transform((value) => value.toLowerCase()),
})

const booleanQuery = z
  .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1')

/** Query of `GET /v1/transparency/{entry_id}`. */
export const EntryQuerySchema = z.strictObject({
  include_proof: booleanQuery.optional().meta({
    description:
      'include the inclusion proof and its signed checkpoint (default true, as in the production guide)',
  }),
})

/** Query of `GET /v1/transparency`. */
export const ListQuerySchema = z.strictObject({
  artifact: DigestSchema,
  limit: z.coerce.number({ error: 'expected a number' }).int().min(1).max(100).optional(),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_=.:+/-]{1,512}$/, { error: 'expected the next_cursor of a previous page' })
    .optional(),
})

/** Every error response. */
export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'SERVER_BAD_REQUEST' }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({
    id: 'Error',
    description:
      "Every error code (of any package) has one category, and the status follows from it alone: invalid_input 400, unauthorized 401, forbidden 403, not_found 404, conflict 409, too_large 413, verification_failed 422, rate_limited 429, internal and invalid_config 500 (generic message), unsupported 501, upstream_failure 502, unavailable 503. The CLI's exit status follows from the same category. Branch on `code`, which is stable; `message` says what failed.",
  })

export const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' })
export const ReadySchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), message: z.string().optional() })),
  })
  .meta({ id: 'Ready' })
