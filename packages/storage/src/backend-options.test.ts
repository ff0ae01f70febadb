import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { parseBackendOptions } from './backend-options.js'
import { StorageError } from './errors.js'

const Schema = z
  .object({ connectionString: z.string().regex(/^postgres:\/\//), max: z.number().int().default(10) })
  .strict()

describe('parseBackendOptions', () => {
  it('returns the parsed options with defaults', () => {
    expect(
      parseBackendOptions(Schema, { connectionString: 'postgres://h/db' }, 'PostgreSQL storage'),
    ).toEqual({
      connectionString: 'postgres://h/db',
      max: 10,
    })
  })

  it('refuses bad options with STORAGE_INVALID_OPTIONS, naming paths and messages but never the input', () => {
    const secret = 'mysql://user:hunter2@host/db'
    let error: unknown
    try {
      parseBackendOptions(Schema, { connectionString: secret }, 'PostgreSQL storage')
    } catch (caught) {
      error = caught
    }
    expect(StorageError.is(error, 'STORAGE_INVALID_OPTIONS')).toBe(true)
    const json = (error as StorageError).toJSON()
    expect(json.message).toBe('invalid PostgreSQL storage options')
    expect(json.details).toEqual({ issues: [{ path: 'connectionString', message: expect.any(String) }] })
    expect(JSON.stringify(json)).not.toContain('hunter2')
  })

  it('treats absent options as an empty object', () => {
    expect(() => parseBackendOptions(Schema, undefined, 'SQLite storage')).toThrow(
      'invalid SQLite storage options',
    )
  })
})
