import type { z } from 'zod'
import { StorageError } from './errors.js'

/**
 * A backend factory's options, parsed by its schema with defaults applied, or `STORAGE_INVALID_OPTIONS` naming
 * `what` (`'SQLite storage'`). The error carries each issue's path and message only: zod's `input` would echo what
 * was passed, a connection string with its password among it.
 * @throws StorageError `STORAGE_INVALID_OPTIONS`
 */
export function parseBackendOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(options ?? {})
  if (parsed.success) return parsed.data
  throw new StorageError({
    code: 'STORAGE_INVALID_OPTIONS',
    message: `invalid ${what} options`,
    details: {
      issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    },
  })
}
