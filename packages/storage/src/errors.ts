import { defineErrorClass } from '@certus-trust/core'

/** Stable codes of {@link StorageError}. Codes are API: never renamed, only added. */
export type StorageErrorCode =
  /** The requested record, tree or leaf range does not exist. */
  | 'STORAGE_NOT_FOUND'
  /** A unique constraint would be violated (duplicate id, entry uuid, leaf hash, tree head size…) or a log invariant broke. */
  | 'STORAGE_CONFLICT'
  /** The record handed to storage failed validation. `details.issues` lists the offending fields. */
  | 'STORAGE_INVALID_RECORD'
  /** A query argument (cursor, limit, range) is malformed. */
  | 'STORAGE_INVALID_QUERY'
  /** The backend could not be reached or failed mid-operation; nothing was written. Safe to retry. */
  | 'STORAGE_UNAVAILABLE'
  /** Options handed to a backend factory are invalid (connection strings are never echoed). */
  | 'STORAGE_INVALID_OPTIONS'
  /** The storage (or a finished log transaction) was used after `close()`. */
  | 'STORAGE_CLOSED'
  /** Another process held the database's write lock for longer than the backend waits. Safe to retry. */
  | 'STORAGE_BUSY'
  /** The file at the database path is damaged or not a database at all. Nothing was written to it. */
  | 'STORAGE_CORRUPT'
  /** The file at the database path is a database of another application. Nothing was written to it. */
  | 'STORAGE_FOREIGN_DATABASE'
  /** The database (or its directory) cannot be written: permissions or a read-only file system. */
  | 'STORAGE_READ_ONLY'
  /** The disk (or the configured size cap) is full; the write was rolled back. */
  | 'STORAGE_FULL'
  /** The database was written by a newer version of the package (schema version above the newest known). */
  | 'STORAGE_SCHEMA_TOO_NEW'

/**
 * The one error class of the storage packages. Check with `StorageError.is(error, 'STORAGE_NOT_FOUND')`,
 * which works across duplicate copies of the package. `cause` holds the driver error, if any;
 * `toJSON()` never includes it.
 */
// The explicit annotation lets declaration emit name the base type (core's marker symbol is module-private).
const StorageErrorBase: ReturnType<typeof defineErrorClass<StorageErrorCode>> =
  defineErrorClass<StorageErrorCode>('StorageError', {
    STORAGE_NOT_FOUND: 'not_found',
    STORAGE_CONFLICT: 'conflict',
    STORAGE_INVALID_RECORD: 'invalid_input',
    STORAGE_INVALID_QUERY: 'invalid_input',
    STORAGE_UNAVAILABLE: 'unavailable',
    STORAGE_INVALID_OPTIONS: 'invalid_config',
    STORAGE_CLOSED: 'unavailable',
    STORAGE_BUSY: 'unavailable',
    // The database cannot be used as it is (damaged, another application's, read-only, full, too new):
    // storage is unavailable until someone fixes it; nothing was written.
    STORAGE_CORRUPT: 'unavailable',
    STORAGE_FOREIGN_DATABASE: 'unavailable',
    STORAGE_READ_ONLY: 'unavailable',
    STORAGE_FULL: 'unavailable',
    STORAGE_SCHEMA_TOO_NEW: 'unavailable',
  })
export class StorageError extends StorageErrorBase {}
