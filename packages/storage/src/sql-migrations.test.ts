import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { StorageError } from './errors.js'
import { defineMigration, pendingMigrations } from './sql-migrations.js'

const shipped = [
  defineMigration(1, 'initial', 'CREATE TABLE a (x integer);'),
  defineMigration(2, 'more', 'CREATE TABLE b (y integer);'),
  defineMigration(3, 'views', 'CREATE VIEW c AS SELECT x FROM a;'),
]

describe('versioned migrations', () => {
  it('carry the hex SHA-256 of their SQL', () => {
    expect(shipped[0]).toEqual({
      version: 1,
      name: 'initial',
      sql: 'CREATE TABLE a (x integer);',
      checksum: createHash('sha256').update('CREATE TABLE a (x integer);').digest('hex'),
    })
  })

  it('are pending when not applied, in shipped order', () => {
    expect(pendingMigrations(shipped, new Map()).map((m) => m.version)).toEqual([1, 2, 3])
    const applied = new Map([[1, shipped[0]!.checksum]])
    expect(pendingMigrations(shipped, applied).map((m) => m.version)).toEqual([2, 3])
    const all = new Map(shipped.map((m) => [m.version, m.checksum]))
    expect(pendingMigrations(shipped, all)).toEqual([])
  })

  it('refuse an applied migration whose shipped text changed, before any pending one is applied', () => {
    const applied = new Map([[3, 'not the checksum']])
    let error: unknown
    try {
      pendingMigrations(shipped, applied)
    } catch (caught) {
      error = caught
    }
    expect(StorageError.is(error, 'STORAGE_CONFLICT')).toBe(true)
    expect((error as StorageError).toJSON()).toMatchObject({
      code: 'STORAGE_CONFLICT',
      message: 'an applied migration differs from the shipped one',
      details: { version: 3, name: 'views' },
    })
  })
})
