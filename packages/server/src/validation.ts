import type { Hook } from '@hono/zod-openapi'
import type { Env, MiddlewareHandler } from 'hono'
import type { z } from 'zod'
import { ServerError } from './errors.js'

const WHERE = { json: 'request body', query: 'query', param: 'path', header: 'header' } as const

function invalid(where: string, error: z.ZodError): ServerError {
  const issues = error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }))
  return new ServerError({
    code: 'SERVER_BAD_REQUEST',
    message: `invalid ${where}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    details: { issues },
  })
}

/**
 * The routes' validation hook: a request that fails its route schema becomes `SERVER_BAD_REQUEST` (400) naming
 * every issue. `pick` chooses the schema that explains a failure best (a union's variant by its distinguishing
 * field), so errors name the actual problem instead of "no variant matched".
 */
export function rejectInvalid(pick?: (value: unknown) => z.ZodType): Hook<unknown, Env, string, undefined> {
  return (result) => {
    if (result.success) return
    // On failure the validator passes the value it checked too.
    const value = (result as { data?: unknown }).data
    const error = pick?.(value).safeParse(value).error ?? result.error
    throw invalid(WHERE[result.target as keyof typeof WHERE] ?? result.target, error)
  }
}

/**
 * Before a route's body schema runs: the body must be declared JSON and parse as JSON.
 * @throws ServerError `SERVER_UNSUPPORTED_MEDIA_TYPE` or `SERVER_INVALID_JSON` (both invalid input: 400).
 */
export const jsonBody: MiddlewareHandler = async function requireJsonBody(c, next) {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new ServerError({
      code: 'SERVER_UNSUPPORTED_MEDIA_TYPE',
      message: 'expected Content-Type: application/json',
    })
  }
  try {
    // Hono caches the body: the validator that follows reads it again without touching the stream.
    await c.req.json()
  } catch {
    throw new ServerError({ code: 'SERVER_INVALID_JSON', message: 'the request body is not valid JSON' })
  }
  await next()
}
