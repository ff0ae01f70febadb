import type { Context } from 'hono'
import type { z } from 'zod'
import { ServerError } from './errors.js'

function issuesOf(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }))
}

function invalid(where: string, error: z.ZodError): ServerError {
  const issues = issuesOf(error)
  return new ServerError({
    code: 'SERVER_BAD_REQUEST',
    message: `invalid ${where}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    details: { issues },
  })
}

/**
 * Reads a JSON body and parses it with `schema`.
 * @throws ServerError `SERVER_UNSUPPORTED_MEDIA_TYPE`, `SERVER_INVALID_JSON` or `SERVER_BAD_REQUEST` (all invalid input: 400).
 */
export async function parseJsonBody<Schema extends z.ZodType>(
  c: Context,
  schema: Schema,
): Promise<z.output<Schema>> {
  return (await parseJsonBodyWith(c, () => schema)) as z.output<Schema>
}

/** Like {@link parseJsonBody}, with the schema picked from the parsed value (precise errors for variants). */
export async function parseJsonBodyWith<T>(c: Context, pick: (value: unknown) => z.ZodType<T>): Promise<T> {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new ServerError({
      code: 'SERVER_UNSUPPORTED_MEDIA_TYPE',
      message: 'expected Content-Type: application/json',
    })
  }
  const text = await c.req.text()
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ServerError({ code: 'SERVER_INVALID_JSON', message: 'the request body is not valid JSON' })
  }
  const parsed = pick(value).safeParse(value)
  if (!parsed.success) throw invalid('request body', parsed.error)
  return parsed.data
}

/** Parses the query string (single values only) with `schema`. @throws `SERVER_BAD_REQUEST` */
export function parseQuery<Schema extends z.ZodType>(c: Context, schema: Schema): z.output<Schema> {
  const parsed = schema.safeParse(c.req.query())
  if (!parsed.success) throw invalid('query', parsed.error)
  return parsed.data
}

/** Parses path parameters with `schema`. @throws `SERVER_BAD_REQUEST` */
export function parseParams<Schema extends z.ZodType>(c: Context, schema: Schema): z.output<Schema> {
  const parsed = schema.safeParse(c.req.param())
  if (!parsed.success) throw invalid('path', parsed.error)
  return parsed.data
}
