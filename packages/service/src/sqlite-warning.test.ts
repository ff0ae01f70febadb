import { describe, expect, it, vi } from 'vitest'
import { dropSqliteExperimentalWarning } from './sqlite-warning.js'

describe('dropSqliteExperimentalWarning', () => {
  it("drops Node 22's SQLite ExperimentalWarning and passes every other warning on unchanged", () => {
    const emitWarning = vi.fn()
    const target = { emitWarning: emitWarning as unknown as typeof process.emitWarning }
    dropSqliteExperimentalWarning(target)
    // As Node 22's node:sqlite emits it (type as a string), and in the options form.
    target.emitWarning(
      'SQLite is an experimental feature and might change at any time',
      'ExperimentalWarning',
    )
    target.emitWarning('SQLite is an experimental feature and might change at any time', {
      type: 'ExperimentalWarning',
    })
    expect(emitWarning).not.toHaveBeenCalled()
    target.emitWarning('The Fetch API is an experimental feature', 'ExperimentalWarning')
    target.emitWarning('SQLite is an experimental feature', 'DeprecationWarning')
    const error = new Error('something else')
    target.emitWarning(error)
    expect(emitWarning.mock.calls).toEqual([
      ['The Fetch API is an experimental feature', 'ExperimentalWarning'],
      ['SQLite is an experimental feature', 'DeprecationWarning'],
      [error],
    ])
  })
})
