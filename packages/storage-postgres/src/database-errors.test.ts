import { StorageError } from '@certus-trust/storage'
import { describe, expect, it } from 'vitest'
import { toStorageError } from './database-errors.js'

const pgError = (fields: Record<string, unknown>) =>
  Object.assign(new Error('Key (id)=(secret-value) already exists'), fields)

describe('toStorageError', () => {
  it('maps a named unique violation through the caller table, keeping the driver error only as cause', () => {
    const cause = pgError({ code: '23505', constraint: 'x_pkey' })
    const error = toStorageError(cause, {
      x_pkey: () => new StorageError({ code: 'STORAGE_CONFLICT', message: 'dup', details: { field: 'id' } }),
    })
    expect(error.toJSON()).toEqual({
      name: 'StorageError',
      code: 'STORAGE_CONFLICT',
      message: 'dup',
      details: { field: 'id' },
    })
    expect(error.cause).toBe(cause)
    expect(JSON.stringify(error)).not.toContain('secret-value')
  })

  it.each([
    [{ code: '23505', constraint: 'other' }, 'STORAGE_CONFLICT', 'a unique constraint was violated'],
    [{ code: '57P01' }, 'STORAGE_UNAVAILABLE', 'the database is unavailable'],
    [{ code: '08006' }, 'STORAGE_UNAVAILABLE', 'the database is unavailable'],
    [{ code: '53300' }, 'STORAGE_UNAVAILABLE', 'the database is unavailable'],
    [{ code: 'ECONNREFUSED' }, 'STORAGE_UNAVAILABLE', 'the database is unreachable'],
    [
      { code: '42P01' },
      'STORAGE_UNAVAILABLE',
      'the database schema is missing or out of date; run migrate()',
    ],
    [{ code: '22P02' }, 'STORAGE_INVALID_RECORD', 'the database rejected the record'],
    [{}, 'STORAGE_UNAVAILABLE', 'the database operation failed'],
  ])('maps %j to %s', (fields, code, message) => {
    const error = toStorageError(pgError(fields))
    expect(error.code).toBe(code)
    expect(error.message).toBe(message)
    expect(error.message).not.toContain('secret-value')
  })

  it('passes StorageErrors through untouched', () => {
    const original = new StorageError({ code: 'STORAGE_NOT_FOUND', message: 'x' })
    expect(toStorageError(original)).toBe(original)
  })
})
