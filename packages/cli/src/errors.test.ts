import { CertusError, ERROR_CATEGORIES } from '@certus-trust/core'
import { describe, expect, it } from 'vitest'
import { CliError, EXIT_CODES, exitCodeFor, exitCodeForCategory } from './errors.js'

describe('exitCodeFor', () => {
  it.each([
    ['CLI_USAGE', EXIT_CODES.USAGE],
    ['CLI_UNSAFE_BIND', EXIT_CODES.USAGE],
    ['CLI_FILE_NOT_FOUND', EXIT_CODES.INPUT],
    ['CLI_INPUT_INVALID', EXIT_CODES.INPUT],
    ['CLI_KEY_PASSWORD', EXIT_CODES.INPUT],
    ['CLI_OUTPUT_FAILED', EXIT_CODES.INPUT],
    ['CLI_NOT_FOUND', EXIT_CODES.INPUT],
    ['CLI_VERIFICATION_FAILED', EXIT_CODES.VERIFICATION_FAILED],
    ['CLI_DATA_DIR', EXIT_CODES.UNAVAILABLE],
    ['CLI_IDENTITY_TOKEN', EXIT_CODES.UNAVAILABLE],
  ] as const)('%s -> %i (the README table)', (code, expected) => {
    expect(exitCodeFor(new CliError({ code, message: 'failing' }))).toBe(expected)
  })

  it('maps every category to one of the documented statuses', () => {
    const documented = new Set<number>(Object.values(EXIT_CODES))
    for (const category of ERROR_CATEGORIES) {
      expect(documented.has(exitCodeForCategory(category))).toBe(true)
      expect(exitCodeForCategory(category)).not.toBe(EXIT_CODES.OK)
    }
  })

  it('goes by the category, not the code', () => {
    expect(
      exitCodeFor(new CertusError({ code: 'CLI_USAGE', message: 'bare', category: 'unavailable' })),
    ).toBe(EXIT_CODES.UNAVAILABLE)
  })

  it('treats anything that is not a Certus error as internal, even with a familiar code', () => {
    expect(exitCodeFor(new Error('boom'))).toBe(EXIT_CODES.INTERNAL)
    expect(exitCodeFor('boom')).toBe(EXIT_CODES.INTERNAL)
    expect(exitCodeFor({ code: 'CLI_USAGE' })).toBe(EXIT_CODES.INTERNAL)
  })

  it('CliError.is recognises its codes', () => {
    const error = new CliError({ code: 'CLI_USAGE', message: 'bad' })
    expect(CliError.is(error)).toBe(true)
    expect(CliError.is(error, 'CLI_USAGE')).toBe(true)
    expect(CliError.is(error, 'CLI_DATA_DIR')).toBe(false)
    expect(CliError.is(new Error('x'))).toBe(false)
  })
})
