import { describe, expect, it } from 'vitest'
import { DEFAULT_BUSY_TIMEOUT_MS, parseSqliteOptions } from './options.js'

const issuesOf = (options: unknown) => {
  try {
    parseSqliteOptions(options)
  } catch (error) {
    expect(error).toMatchObject({
      code: 'STORAGE_INVALID_OPTIONS',
      message: 'invalid SQLite storage options',
    })
    return (error as { details: { issues: Array<{ path: string }> } }).details.issues.map(
      (issue) => issue.path,
    )
  }
  throw new Error('accepted')
}

describe('parseSqliteOptions', () => {
  it('applies the defaults and keeps what is given', () => {
    expect(parseSqliteOptions({ path: 'a.db' })).toEqual({
      path: 'a.db',
      migrate: false,
      busyTimeoutMs: DEFAULT_BUSY_TIMEOUT_MS,
    })
    expect(
      parseSqliteOptions({ path: 'a.db', migrate: true, busyTimeoutMs: 0, maxSizeBytes: 65_536 }),
    ).toEqual({ path: 'a.db', migrate: true, busyTimeoutMs: 0, maxSizeBytes: 65_536 })
    expect(parseSqliteOptions({ path: 'a.db', busyTimeoutMs: 600_000 }).busyTimeoutMs).toBe(600_000)
  })

  it('names every bad field, unknown ones included', () => {
    expect(issuesOf(undefined)).toEqual(['path'])
    expect(issuesOf({ path: '' })).toEqual(['path'])
    expect(issuesOf({ path: 1 })).toEqual(['path'])
    expect(issuesOf({ path: 'a.db', migrate: 'yes' })).toEqual(['migrate'])
    for (const busyTimeoutMs of [-1, 1.5, 600_001, Number.NaN, '5'])
      expect(issuesOf({ path: 'a.db', busyTimeoutMs }), String(busyTimeoutMs)).toEqual(['busyTimeoutMs'])
    for (const maxSizeBytes of [65_535, 1e20, Number.POSITIVE_INFINITY, null])
      expect(issuesOf({ path: 'a.db', maxSizeBytes }), String(maxSizeBytes)).toEqual(['maxSizeBytes'])
    expect(issuesOf({ path: 'a.db', busyTimeout: 10 })).toEqual(['busyTimeout'])
    expect(issuesOf({ migrate: 1, extra: true })).toEqual(['extra', 'path', 'migrate'])
    expect(issuesOf('a.db')).toEqual([''])
    expect(issuesOf([])).toEqual([''])
  })
})
