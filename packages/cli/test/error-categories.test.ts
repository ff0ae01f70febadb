/**
 * Every error code of every package has one category, and both edges derive from it: the server's HTTP status
 * and the CLI's exit status. The codes come from each class's own table (`Class.categories`), so a code added
 * to a package is checked here without touching this file.
 */
import { type CertusError, CoreError, ERROR_CATEGORIES, type ErrorCategory } from '@certus-trust/core'
import { DerError } from '@certus-trust/core/der'
import { X509Error } from '@certus-trust/core/x509'
import { KmsError } from '@certus-trust/kms'
import { RekorError } from '@certus-trust/log-protocol'
import { ServerError, statusForCategory, statusForError } from '@certus-trust/server'
import { ServiceError } from '@certus-trust/service'
import { SignerError } from '@certus-trust/signer'
import { StorageError } from '@certus-trust/storage'
import { TlogError } from '@certus-trust/tlog'
import { VerifierError } from '@certus-trust/verifier'
import { describe, expect, it } from 'vitest'
import { CliError, EXIT_CODES, exitCodeFor, exitCodeForCategory } from '../src/errors.js'
import type { CliIo } from '../src/io.js'
import { reportError } from '../src/output.js'

interface ErrorClass {
  readonly name: string
  readonly categories: Readonly<Record<string, ErrorCategory>>
  new (options: {
    code: never
    message: string
    details?: Record<string, unknown>
    cause?: unknown
  }): CertusError
}

const CLASSES = [
  CoreError,
  DerError,
  X509Error,
  RekorError,
  TlogError,
  SignerError,
  VerifierError,
  StorageError,
  KmsError,
  ServiceError,
  ServerError,
  CliError,
] as unknown as ErrorClass[]

/** [class, code, category] for every code of every table. */
const EVERY_CODE = CLASSES.flatMap((errorClass) =>
  Object.entries(errorClass.categories).map(([code, category]) => [errorClass, code, category] as const),
)

function create(
  errorClass: ErrorClass,
  code: string,
  extra: { details?: Record<string, unknown>; cause?: unknown } = {},
) {
  return new errorClass({ code: code as never, message: `failing with ${code}`, ...extra })
}

/** Runs the CLI's own error reporter and returns the exit status it chose. */
function cliExit(error: unknown): number {
  const sink = { write: () => true }
  const io: CliIo = { stdout: sink, stderr: sink, cwd: process.cwd(), env: {} }
  return reportError(io, false, error)
}

describe('error categories across packages', () => {
  it('pins the category → HTTP status and exit status tables', () => {
    const expected: Record<ErrorCategory, [number, number]> = {
      invalid_input: [400, 3],
      invalid_config: [500, 2],
      not_found: [404, 3],
      conflict: [409, 3],
      too_large: [413, 3],
      unauthorized: [401, 4],
      forbidden: [403, 4],
      rate_limited: [429, 4],
      unsupported: [501, 3],
      unavailable: [503, 4],
      upstream_failure: [502, 4],
      internal: [500, 70],
      verification_failed: [422, 1],
    }
    expect(Object.keys(expected).sort()).toEqual([...ERROR_CATEGORIES].sort())
    for (const category of ERROR_CATEGORIES) {
      expect([statusForCategory(category), exitCodeForCategory(category)], category).toEqual(
        expected[category],
      )
    }
  })

  it('covers every package, each code once, each under its package prefix', () => {
    expect(EVERY_CODE.length).toBeGreaterThan(150)
    const codes = EVERY_CODE.map(([, code]) => code)
    expect(new Set(codes).size).toBe(codes.length)
    for (const [errorClass, code] of EVERY_CODE) {
      const prefix = { CoreError: 'CORE_', DerError: 'DER_', X509Error: 'X509_' }[errorClass.name]
      expect(code, errorClass.name).toMatch(prefix ? new RegExp(`^${prefix}`) : /^[A-Z0-9]+_[A-Z0-9_]+$/)
    }
  })

  it.each(EVERY_CODE.map(([errorClass, code, category]) => [code, category, errorClass] as const))(
    '%s (%s): HTTP status and exit status both follow the category',
    (code, category, errorClass) => {
      const error = create(errorClass, code)
      expect(error.code).toBe(code)
      expect(error.category).toBe(category)
      expect(statusForError(error)).toBe(statusForCategory(category))
      expect(exitCodeFor(error)).toBe(exitCodeForCategory(category))
      expect(cliExit(error)).toBe(exitCodeForCategory(category))
    },
  )

  it.each([
    // Once HTTP 503 but exit 3: an unreachable log is unavailable in both.
    [SignerError, 'SIGNER_WITNESS_UNREACHABLE', 503, EXIT_CODES.UNAVAILABLE],
    [SignerError, 'SIGNER_FULCIO_UNREACHABLE', 503, EXIT_CODES.UNAVAILABLE],
    // Once HTTP 502 but exit 3.
    [SignerError, 'SIGNER_WITNESS_FAILED', 502, EXIT_CODES.UNAVAILABLE],
    // Once HTTP 400 but exit 4.
    [RekorError, 'REKOR_INVALID_INPUT', 400, EXIT_CODES.INPUT],
    [TlogError, 'TLOG_ENTRY_INVALID', 400, EXIT_CODES.INPUT],
    // Once HTTP 503 but exit 1.
    [VerifierError, 'VERIFIER_TRUST_ROOT_UNAVAILABLE', 503, EXIT_CODES.UNAVAILABLE],
    // Once HTTP 409 but exit 4.
    [StorageError, 'STORAGE_CONFLICT', 409, EXIT_CODES.INPUT],
    // Unchanged where they already agreed.
    [VerifierError, 'VERIFIER_MALFORMED_BUNDLE', 422, EXIT_CODES.VERIFICATION_FAILED],
    [StorageError, 'STORAGE_UNAVAILABLE', 503, EXIT_CODES.UNAVAILABLE],
    [CliError, 'CLI_USAGE', 500, EXIT_CODES.USAGE],
    [KmsError, 'KMS_INVALID_URI', 500, EXIT_CODES.USAGE],
    [KmsError, 'KMS_PERMISSION_DENIED', 403, EXIT_CODES.UNAVAILABLE],
  ] as unknown as [ErrorClass, string, number, number][])(
    '%o %s → HTTP %i, exit %i',
    (errorClass, code, status, exit) => {
      const error = create(errorClass, code)
      expect(statusForError(error)).toBe(status)
      expect(exitCodeFor(error)).toBe(exit)
    },
  )

  it('refines KMS and signing failures from their details and cause, the same for both edges', () => {
    const kms = KmsError as unknown as ErrorClass
    const signer = SignerError as unknown as ErrorClass
    const cases: [CertusError, ErrorCategory, number, number][] = [
      [create(kms, 'KMS_REQUEST_FAILED', { details: { status: 403 } }), 'forbidden', 403, 4],
      [create(kms, 'KMS_REQUEST_FAILED', { details: { status: 404 } }), 'not_found', 404, 3],
      [create(kms, 'KMS_REQUEST_FAILED', { details: { status: 503 } }), 'unavailable', 503, 4],
      [create(kms, 'KMS_REQUEST_FAILED', { details: { status: 500 } }), 'upstream_failure', 502, 4],
      [create(kms, 'KMS_REQUEST_FAILED'), 'upstream_failure', 502, 4],
      // The signer wraps a key provider's failure: a KMS that is down is unavailable, any other typed failure
      // an upstream failure (the server's key is never the HTTP caller's fault), an untyped one a bug.
      [
        create(signer, 'SIGNER_SIGNING_FAILED', { cause: create(kms, 'KMS_UNREACHABLE') }),
        'unavailable',
        503,
        4,
      ],
      [
        create(signer, 'SIGNER_SIGNING_FAILED', { cause: create(kms, 'KMS_THROTTLED') }),
        'unavailable',
        503,
        4,
      ],
      [create(signer, 'SIGNER_SIGNING_FAILED', { cause: create(kms, 'KMS_TIMEOUT') }), 'unavailable', 503, 4],
      [
        create(signer, 'SIGNER_SIGNING_FAILED', { cause: create(kms, 'KMS_PERMISSION_DENIED') }),
        'upstream_failure',
        502,
        4,
      ],
      [
        create(signer, 'SIGNER_SIGNING_FAILED', { cause: create(kms, 'KMS_NOT_FOUND') }),
        'upstream_failure',
        502,
        4,
      ],
      [create(signer, 'SIGNER_SIGNING_FAILED', { cause: new Error('boom') }), 'internal', 500, 70],
      // A malformed token is the caller's input; a token provider that threw is a dependency failing.
      [create(signer, 'SIGNER_IDENTITY_TOKEN_INVALID'), 'invalid_input', 400, 3],
      [
        create(signer, 'SIGNER_IDENTITY_TOKEN_INVALID', { cause: new Error('no endpoint') }),
        'upstream_failure',
        502,
        4,
      ],
    ]
    for (const [error, category, status, exit] of cases) {
      expect(error.category, error.code).toBe(category)
      expect(statusForError(error), error.code).toBe(status)
      expect(exitCodeFor(error), error.code).toBe(exit)
    }
  })

  it('treats anything that is not a Certus error as internal on both edges', () => {
    for (const thrown of [new Error('boom'), 'boom', { code: 'STORAGE_UNAVAILABLE' }, undefined]) {
      expect(statusForError(thrown)).toBe(500)
      expect(exitCodeFor(thrown)).toBe(EXIT_CODES.INTERNAL)
    }
  })
})
