import { describe, expect, it } from 'vitest'
import { CliError, EXIT_CODES, exitCodeFor } from './errors.js'

describe('exitCodeFor', () => {
  it.each([
    ['CLI_USAGE', EXIT_CODES.USAGE],
    ['CLI_UNSAFE_BIND', EXIT_CODES.USAGE],
    ['CLI_FILE_NOT_FOUND', EXIT_CODES.INPUT],
    ['CLI_NOT_FOUND', EXIT_CODES.INPUT],
    ['CLI_VERIFICATION_FAILED', EXIT_CODES.VERIFICATION_FAILED],
    ['CLI_DATA_DIR', EXIT_CODES.UNAVAILABLE],
    ['VERIFIER_SIGNATURE_MISMATCH', EXIT_CODES.VERIFICATION_FAILED],
    ['REKOR_CONSISTENCY_PROOF_INVALID', EXIT_CODES.UNAVAILABLE],
    ['REKOR_NOT_FOUND', EXIT_CODES.INPUT],
    ['STORAGE_UNAVAILABLE', EXIT_CODES.UNAVAILABLE],
    ['SERVER_CONFIG_INVALID', EXIT_CODES.USAGE],
    ['STORAGE_INVALID_OPTIONS', EXIT_CODES.USAGE],
    ['SIGNER_KEY_INVALID', EXIT_CODES.INPUT],
    ['SOMETHING_ELSE', EXIT_CODES.INTERNAL],
  ])('%s -> %i', (code, expected) => {
    expect(exitCodeFor({ code })).toBe(expected)
  })

  it('treats errors without a code as internal', () => {
    expect(exitCodeFor(new Error('boom'))).toBe(EXIT_CODES.INTERNAL)
    expect(exitCodeFor('boom')).toBe(EXIT_CODES.INTERNAL)
  })

  it('CliError.is recognises its codes', () => {
    const error = new CliError({ code: 'CLI_USAGE', message: 'bad' })
    expect(CliError.is(error)).toBe(true)
    expect(CliError.is(error, 'CLI_USAGE')).toBe(true)
    expect(CliError.is(error, 'CLI_DATA_DIR')).toBe(false)
    expect(CliError.is(new Error('x'))).toBe(false)
  })
})
