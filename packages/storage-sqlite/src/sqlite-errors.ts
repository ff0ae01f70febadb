import { StorageError } from '@certus-trust/storage'

// Primary SQLite result codes (the low byte of an extended code), https://sqlite.org/rescode.html.
const SQLITE_BUSY = 5
const SQLITE_LOCKED = 6
const SQLITE_READONLY = 8
const SQLITE_IOERR = 10
const SQLITE_CORRUPT = 11
const SQLITE_FULL = 13
const SQLITE_CANTOPEN = 14
const SQLITE_CONSTRAINT = 19
const SQLITE_NOTADB = 26

/** The primary SQLite result code of a `node:sqlite` error, or undefined for anything else. */
export function sqliteResultCode(error: unknown): number | undefined {
  const code =
    typeof error === 'object' && error !== null ? (error as { errcode?: unknown }).errcode : undefined
  return typeof code === 'number' ? code & 0xff : undefined
}

/** Where the failing database lives, for messages (a file path is not a secret; row values never appear). */
export interface ErrorContext {
  path: string
}

/**
 * Wraps a `node:sqlite` error once, at the boundary. SQLite's own message stays reachable as `cause`
 * (omitted by `toJSON()`); ours says what it means for the caller.
 */
export function toStorageError(error: unknown, context: ErrorContext): StorageError {
  if (StorageError.is(error)) return error
  const code = sqliteResultCode(error)
  const details = code === undefined ? { path: context.path } : { path: context.path, sqliteCode: code }
  const make = (storageCode: StorageError['code'], message: string) =>
    new StorageError({ code: storageCode, message, details, cause: error })
  switch (code) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return make(
        'STORAGE_BUSY',
        `database ${context.path} is locked by another process (another certus command or server is writing); retry`,
      )
    case SQLITE_FULL:
      return make(
        'STORAGE_FULL',
        `database ${context.path} is full (no space left on the disk or size cap reached)`,
      )
    case SQLITE_READONLY:
      return make(
        'STORAGE_READ_ONLY',
        `database ${context.path} is read-only (check permissions and the file system)`,
      )
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return make(
        'STORAGE_CORRUPT',
        `${context.path} is not a usable database (damaged, or not a SQLite file)`,
      )
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      return make('STORAGE_UNAVAILABLE', `database ${context.path} cannot be opened or read`)
    case SQLITE_CONSTRAINT:
      // Every write checks its constraints first, so reaching one means a log invariant broke.
      return make('STORAGE_CONFLICT', 'a database constraint was violated')
    default:
      if (/no such (table|column)/.test(String((error as { message?: unknown }).message)))
        return make(
          'STORAGE_UNAVAILABLE',
          `database ${context.path} has no or an outdated schema; run migrate()`,
        )
      return make('STORAGE_UNAVAILABLE', 'the database operation failed')
  }
}
