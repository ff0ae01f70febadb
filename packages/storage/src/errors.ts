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

/**
 * The one error class of the storage packages. Check with `StorageError.is(error, 'STORAGE_NOT_FOUND')`,
 * which works across duplicate copies of the package. `cause` holds the driver error, if any;
 * `toJSON()` never includes it.
 */
// The explicit annotation lets declaration emit name the base type (core's marker symbol is module-private).
const StorageErrorBase: ReturnType<typeof defineErrorClass<StorageErrorCode>> =
  defineErrorClass<StorageErrorCode>('StorageError')
export class StorageError extends StorageErrorBase {}
