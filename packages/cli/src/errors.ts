import {
  type CertusError,
  type CertusErrorOptions,
  categoryOf,
  defineErrorClass,
  type ErrorCategory,
} from '@certus-trust/core'

/** Stable codes of {@link CliError}. Codes are API: adding one is minor, renaming is major. */
export type CliErrorCode =
  /** Flags or arguments are missing, unknown or contradict each other. */
  | 'CLI_USAGE'
  /** A file named on the command line does not exist or cannot be read. */
  | 'CLI_FILE_NOT_FOUND'
  /** An input file exists but its content is not what the command needs (PEM, JSON, bundle…). */
  | 'CLI_INPUT_INVALID'
  /** An encrypted private key came without its password, or with a wrong one. */
  | 'CLI_KEY_PASSWORD'
  /** The CI provider's OIDC token endpoint failed or answered without a token (keyless signing). */
  | 'CLI_IDENTITY_TOKEN'
  /** An output file could not be written (exists without `--force`, directory missing, permissions). */
  | 'CLI_OUTPUT_FAILED'
  /** A log entry (or other looked-up item) does not exist. */
  | 'CLI_NOT_FOUND'
  /** Verification ran and the bundle was rejected. */
  | 'CLI_VERIFICATION_FAILED'
  /** The data directory is missing, locked by another process or unusable. */
  | 'CLI_DATA_DIR'
  /** `serve` was asked to bind a non-loopback address without credentials. */
  | 'CLI_UNSAFE_BIND'

// Typed through CertusError rather than inferred: core's declarations keep its marker symbol private,
// and an inferred base type would name it, which declaration emit (tsup's d.ts step) rejects (TS4020).
const CliErrorBase: {
  new (options: CertusErrorOptions<CliErrorCode>): CertusError<CliErrorCode>
  is(value: unknown, code?: CliErrorCode): value is CertusError<CliErrorCode>
  readonly categories: Readonly<Record<CliErrorCode, ErrorCategory>>
} = defineErrorClass<CliErrorCode>('CliError', {
  // Flags and arguments are the invocation's configuration: a usage error (exit 2).
  CLI_USAGE: 'invalid_config',
  CLI_UNSAFE_BIND: 'invalid_config',
  CLI_FILE_NOT_FOUND: 'not_found',
  CLI_INPUT_INVALID: 'invalid_input',
  CLI_KEY_PASSWORD: 'invalid_input',
  CLI_IDENTITY_TOKEN: 'upstream_failure',
  CLI_OUTPUT_FAILED: 'invalid_input',
  CLI_NOT_FOUND: 'not_found',
  CLI_VERIFICATION_FAILED: 'verification_failed',
  CLI_DATA_DIR: 'unavailable',
})

/** The one error class of @certus-trust/cli. `CliError.is(error, code?)` works across package copies. */
export class CliError extends CliErrorBase {}

/**
 * Exit statuses scripts can rely on. Any non-zero status means "did not succeed"; the specific
 * value says why.
 */
export const EXIT_CODES = Object.freeze({
  /** Success (for `verify`/`verify-bundle`: the bundle verified). */
  OK: 0,
  /** Verification ran and rejected the bundle (or at least one of several bundles). */
  VERIFICATION_FAILED: 1,
  /** Bad flags, arguments or configuration (`invalid_config`). */
  USAGE: 2,
  /** An input is missing, unreadable, malformed, too large or unsuitable. */
  INPUT: 3,
  /** A dependency failed or refused: storage, the transparency log, a KMS, a remote service. */
  UNAVAILABLE: 4,
  /** A bug: an unexpected error. The message is printed; a stack only with `CERTUS_DEBUG=1`. */
  INTERNAL: 70,
})

/** The one table from error category to exit status: every code's exit status derives from it. */
const EXIT_CODE_BY_CATEGORY: Readonly<Record<ErrorCategory, number>> = Object.freeze({
  verification_failed: EXIT_CODES.VERIFICATION_FAILED,
  invalid_config: EXIT_CODES.USAGE,
  invalid_input: EXIT_CODES.INPUT,
  not_found: EXIT_CODES.INPUT,
  conflict: EXIT_CODES.INPUT,
  too_large: EXIT_CODES.INPUT,
  unsupported: EXIT_CODES.INPUT,
  unauthorized: EXIT_CODES.UNAVAILABLE,
  forbidden: EXIT_CODES.UNAVAILABLE,
  rate_limited: EXIT_CODES.UNAVAILABLE,
  unavailable: EXIT_CODES.UNAVAILABLE,
  upstream_failure: EXIT_CODES.UNAVAILABLE,
  internal: EXIT_CODES.INTERNAL,
})

/** The exit status of an error category. */
export function exitCodeForCategory(category: ErrorCategory): number {
  return EXIT_CODE_BY_CATEGORY[category]
}

/** Maps a thrown value to an exit status through its category ({@link categoryOf}: non-Certus errors are 70). */
export function exitCodeFor(error: unknown): number {
  return exitCodeForCategory(categoryOf(error))
}
