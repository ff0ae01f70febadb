import { StorageError } from '@certus-trust/storage'

/** Default of `SqliteStorageOptions.busyTimeoutMs`. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000

/** Largest `busyTimeoutMs` (ten minutes). */
const MAX_BUSY_TIMEOUT_MS = 600_000
/** Smallest `maxSizeBytes`: a database of a few pages. */
const MIN_SIZE_BYTES = 65_536

/** The options with their defaults applied. */
export interface SqliteSettings {
  path: string
  migrate: boolean
  busyTimeoutMs: number
  maxSizeBytes?: number
}

const KNOWN_OPTIONS = new Set(['path', 'migrate', 'busyTimeoutMs', 'maxSizeBytes'])

const isInteger = (value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max

/**
 * Checks `createSqliteStorage`'s options and applies the defaults. Checked by hand rather than by a schema: they
 * come from the calling code, not from a request, and every `certus` command that opens the data directory checks
 * them once (start-up, issue 11). The error has the shape of the other backends' (`parseBackendOptions`): one issue
 * per bad field, unknown fields refused.
 * @throws StorageError `STORAGE_INVALID_OPTIONS`
 */
export function parseSqliteOptions(options: unknown): SqliteSettings {
  const input = options ?? {}
  const issues: Array<{ path: string; message: string }> = []
  if (typeof input !== 'object' || Array.isArray(input)) {
    issues.push({ path: '', message: 'expected an object' })
  } else {
    const { path, migrate, busyTimeoutMs, maxSizeBytes } = input as Record<string, unknown>
    for (const key of Object.keys(input)) {
      if (!KNOWN_OPTIONS.has(key)) issues.push({ path: key, message: 'unknown option' })
    }
    if (typeof path !== 'string' || path.length === 0)
      issues.push({ path: 'path', message: 'expected a non-empty string' })
    if (migrate !== undefined && typeof migrate !== 'boolean')
      issues.push({ path: 'migrate', message: 'expected a boolean' })
    if (busyTimeoutMs !== undefined && !isInteger(busyTimeoutMs, 0, MAX_BUSY_TIMEOUT_MS))
      issues.push({ path: 'busyTimeoutMs', message: `expected an integer in [0, ${MAX_BUSY_TIMEOUT_MS}]` })
    if (maxSizeBytes !== undefined && !isInteger(maxSizeBytes, MIN_SIZE_BYTES))
      issues.push({ path: 'maxSizeBytes', message: `expected an integer of at least ${MIN_SIZE_BYTES}` })
    if (issues.length === 0) {
      return {
        path: path as string,
        migrate: (migrate as boolean | undefined) ?? false,
        busyTimeoutMs: (busyTimeoutMs as number | undefined) ?? DEFAULT_BUSY_TIMEOUT_MS,
        ...(maxSizeBytes === undefined ? {} : { maxSizeBytes: maxSizeBytes as number }),
      }
    }
  }
  throw new StorageError({
    code: 'STORAGE_INVALID_OPTIONS',
    message: 'invalid SQLite storage options',
    details: { issues },
  })
}
