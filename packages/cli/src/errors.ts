import { type CertusError, type CertusErrorOptions, defineErrorClass } from '@certus-trust/core'

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
} = defineErrorClass<CliErrorCode>('CliError')

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
  /** Bad flags or arguments. */
  USAGE: 2,
  /** An input file is missing, unreadable or malformed. */
  INPUT: 3,
  /** A dependency failed: storage, the transparency log, a remote service. */
  UNAVAILABLE: 4,
  /** A bug: an unexpected error. The message is printed; a stack only with `CERTUS_DEBUG=1`. */
  INTERNAL: 70,
})

/** Maps a thrown value to an exit status: by our own code first, then by the package prefix. */
export function exitCodeFor(error: unknown): number {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  if (typeof code !== 'string') return EXIT_CODES.INTERNAL
  switch (code) {
    case 'CLI_USAGE':
    case 'CLI_UNSAFE_BIND':
      return EXIT_CODES.USAGE
    case 'CLI_FILE_NOT_FOUND':
    case 'CLI_INPUT_INVALID':
    case 'CLI_KEY_PASSWORD':
    case 'CLI_OUTPUT_FAILED':
    case 'CLI_NOT_FOUND':
      return EXIT_CODES.INPUT
    case 'CLI_VERIFICATION_FAILED':
      return EXIT_CODES.VERIFICATION_FAILED
    case 'CLI_DATA_DIR':
    case 'CLI_IDENTITY_TOKEN':
      return EXIT_CODES.UNAVAILABLE
  }
  // A configuration the user gave (flags, CERTUS_TRUST_* variables) that a library rejected is a usage error.
  if (code.endsWith('_CONFIG_INVALID') || code.endsWith('_INVALID_OPTIONS')) return EXIT_CODES.USAGE
  if (code.startsWith('VERIFIER_')) return EXIT_CODES.VERIFICATION_FAILED
  if (code.startsWith('KMS_')) return kmsExitCode(code)
  if (
    code.startsWith('STORAGE_') ||
    code.startsWith('REKOR_') ||
    code.startsWith('TLOG_') ||
    code.startsWith('SERVER_') ||
    code.startsWith('SERVICE_')
  )
    return code.endsWith('_NOT_FOUND') ? EXIT_CODES.INPUT : EXIT_CODES.UNAVAILABLE
  if (code.startsWith('SIGNER_')) return EXIT_CODES.INPUT
  return EXIT_CODES.INTERNAL
}

/** KMS key URIs come from flags: a bad URI or missing package is usage, a missing key input, the rest a service. */
function kmsExitCode(code: string): number {
  switch (code) {
    case 'KMS_INVALID_URI':
    case 'KMS_PROVIDER_NOT_INSTALLED':
      return EXIT_CODES.USAGE
    case 'KMS_NOT_FOUND':
    case 'KMS_KEY_DISABLED':
    case 'KMS_UNSUPPORTED_ALGORITHM':
    case 'KMS_INVALID_INPUT':
      return EXIT_CODES.INPUT
    default:
      return EXIT_CODES.UNAVAILABLE
  }
}
