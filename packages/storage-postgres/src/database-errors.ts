import { StorageError } from '@certus-trust/storage'

/** What a unique violation on a named constraint means, supplied by the calling operation. */
export type ConstraintErrors = Record<string, () => StorageError>

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
])

function field(error: unknown, name: string): string | undefined {
  const value =
    typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined
  return typeof value === 'string' ? value : undefined
}

/**
 * Wraps a driver error once, at the boundary. The driver's message is never copied into ours (it can
 * contain row values); it stays reachable as `cause`, which `toJSON()` omits. Connection strings are
 * never part of either.
 */
export function toStorageError(error: unknown, constraints: ConstraintErrors = {}): StorageError {
  if (StorageError.is(error)) return error
  const sqlState = field(error, 'code')
  if (sqlState === '23505') {
    const constraint = field(error, 'constraint')
    const mapped = constraint === undefined ? undefined : constraints[constraint]
    if (mapped) return withCause(mapped(), error)
    return new StorageError({
      code: 'STORAGE_CONFLICT',
      message: 'a unique constraint was violated',
      details: constraint === undefined ? {} : { constraint },
      cause: error,
    })
  }
  if (sqlState === '42P01' || sqlState === '42703') {
    return new StorageError({
      code: 'STORAGE_UNAVAILABLE',
      message: 'the database schema is missing or out of date; run migrate()',
      details: { sqlState },
      cause: error,
    })
  }
  if (sqlState !== undefined && /^(08|53|57|58|40|55)/.test(sqlState)) {
    return new StorageError({
      code: 'STORAGE_UNAVAILABLE',
      message: 'the database is unavailable',
      details: { sqlState },
      cause: error,
    })
  }
  if (sqlState !== undefined && /^(22|23)/.test(sqlState)) {
    return new StorageError({
      code: 'STORAGE_INVALID_RECORD',
      message: 'the database rejected the record',
      details: { sqlState },
      cause: error,
    })
  }
  if (sqlState !== undefined && NETWORK_CODES.has(sqlState)) {
    return new StorageError({
      code: 'STORAGE_UNAVAILABLE',
      message: 'the database is unreachable',
      details: { errno: sqlState },
      cause: error,
    })
  }
  // Everything else (pg's "Connection terminated unexpectedly", pool timeouts, a closed PGlite…) carries no
  // code: we cannot tell more than that the operation did not complete.
  return new StorageError({
    code: 'STORAGE_UNAVAILABLE',
    message: 'the database operation failed',
    details: sqlState === undefined ? {} : { sqlState },
    cause: error,
  })
}

function withCause(error: StorageError, cause: unknown): StorageError {
  return new StorageError({ code: error.code, message: error.message, details: error.details, cause })
}
