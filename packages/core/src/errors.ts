const CERTUS_ERROR_MARKER = Symbol.for('@certus-trust/core/CertusError')

/**
 * What kind of failure an error is. Every code of every package has exactly one category, declared in its
 * package's table (see {@link defineErrorClass}); the server's HTTP status and the CLI's exit status both derive
 * from it, so the two can never disagree.
 *
 * - `invalid_input` – the caller sent something unusable (bad digest, malformed entry, unreadable key file).
 * - `invalid_config` – configuration the caller or operator chose is unusable (flags, options, key URI, a
 *   configured key or file): a usage error in the CLI, the operator's problem (not the client's) in the server.
 * - `not_found` – the named thing (entry, key, file) does not exist.
 * - `conflict` – the request contradicts existing state (duplicate entry, idempotency key reused).
 * - `too_large` – the input exceeds a size limit.
 * - `unauthorized` – credentials are missing or invalid.
 * - `forbidden` – the credentials are valid but may not do this.
 * - `rate_limited` – the caller sent too many requests; retry after a while.
 * - `unsupported` – this build or configuration does not offer what was asked (a feature that is off, an
 *   algorithm or key type we do not sign with).
 * - `unavailable` – a dependency (storage, a remote service) could not be reached, timed out or was closed;
 *   retrying later may succeed.
 * - `upstream_failure` – a dependency answered, but with a failure or something unusable.
 * - `internal` – a bug or an unexpected state; also every error that is not a {@link CertusError}.
 * - `verification_failed` – a signature, proof, certificate or policy check ran and rejected what it checked.
 */
export type ErrorCategory =
  | 'invalid_input'
  | 'invalid_config'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'unsupported'
  | 'unavailable'
  | 'upstream_failure'
  | 'internal'
  | 'verification_failed'

/** Every {@link ErrorCategory}, in a stable order (for tables and tests). */
export const ERROR_CATEGORIES: readonly ErrorCategory[] = Object.freeze([
  'invalid_input',
  'invalid_config',
  'not_found',
  'conflict',
  'too_large',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'unsupported',
  'unavailable',
  'upstream_failure',
  'internal',
  'verification_failed',
])

/** Fields every Certus Trust error carries. */
export interface CertusErrorOptions<Code extends string> {
  /** Stable, machine-readable code (SCREAMING_SNAKE with a package prefix). Codes are API. */
  code: Code
  /** What we were doing when it failed. Never contains secrets. */
  message: string
  /** The lower-level error this one wraps (ky, pg, zod, sigstore…). */
  cause?: unknown
  /** Typed, serialisable details (HTTP status, URL, field names). Never secrets. */
  details?: Record<string, unknown>
  /**
   * Only for a bare `CertusError`: its category. A package's error class ignores this and takes the category
   * from its table (see {@link defineErrorClass}).
   * @default 'internal'
   */
  category?: ErrorCategory
}

/**
 * Base class of every error the SDK throws. Each package extends it once with its own code union.
 *
 * `CertusError.is(value)` checks a `Symbol.for` marker rather than `instanceof`, because ESM and CJS
 * builds of one package can both be loaded, giving two copies of the class.
 */
export class CertusError<Code extends string = string> extends Error {
  readonly code: Code
  readonly details: Record<string, unknown>
  /** What kind of failure this is; fixes the server's HTTP status and the CLI's exit status. */
  readonly category: ErrorCategory

  constructor(options: CertusErrorOptions<Code>) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CertusError'
    this.code = options.code
    this.details = options.details ?? {}
    this.category = options.category ?? 'internal'
    // Set as a non-enumerable runtime property rather than a declared field, so the marker symbol stays
    // out of the emitted declarations of every subclass (TS4020 otherwise).
    Object.defineProperty(this, CERTUS_ERROR_MARKER, { value: true })
  }

  /** True for any Certus Trust error, whichever copy of the package created it. */
  static isCertusError(value: unknown): value is CertusError {
    return typeof value === 'object' && value !== null && CERTUS_ERROR_MARKER in value
  }

  /** A JSON-safe view (code, message, details) for API responses and logs; never includes `cause`. */
  toJSON(): { name: string; code: Code; message: string; details: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, details: this.details }
  }
}

const CATEGORY_NAMES: ReadonlySet<string> = new Set(ERROR_CATEGORIES)

/**
 * The category of any thrown value: a {@link CertusError}'s own (from any copy of the package), `'internal'`
 * for everything else.
 *
 * @example
 * if (categoryOf(error) === 'unavailable') scheduleRetry()
 */
export function categoryOf(error: unknown): ErrorCategory {
  if (!CertusError.isCertusError(error)) return 'internal'
  const category = (error as { category?: unknown }).category
  // An error from an older copy of core has no category: treat it as a bug rather than guess.
  return typeof category === 'string' && CATEGORY_NAMES.has(category)
    ? (category as ErrorCategory)
    : 'internal'
}

/**
 * Refines a code's category from the error's details or cause at construction time (a KMS failure carrying the
 * service's HTTP status, a signing failure caused by an unreachable KMS). Returns `undefined` to keep the table's.
 */
export type ErrorCategoryRefiner<Code extends string> = (
  options: CertusErrorOptions<Code>,
) => ErrorCategory | undefined

/**
 * Creates a package error class whose `is()` guard works across duplicate package copies. `categories` is the
 * package's one table from code to {@link ErrorCategory}: typed as a `Record` over the code union, so a code
 * without a category does not compile. It is kept on the class as `categories` (frozen).
 *
 * @example
 * export class RekorError extends defineErrorClass<RekorErrorCode>('RekorError', {
 *   REKOR_NOT_FOUND: 'not_found',
 *   REKOR_TIMEOUT: 'unavailable',
 * }) {}
 */
export function defineErrorClass<Code extends string>(
  name: string,
  categories: Record<Code, ErrorCategory>,
  refine?: ErrorCategoryRefiner<Code>,
) {
  const marker = Symbol.for(`@certus-trust/error/${name}`)
  const table: Readonly<Record<Code, ErrorCategory>> = Object.freeze({ ...categories })
  class PackageError extends CertusError<Code> {
    /** This class's table from code to category. */
    static readonly categories: Readonly<Record<Code, ErrorCategory>> = table

    constructor(options: CertusErrorOptions<Code>) {
      // Own-property lookup only: a code outside the table (a caller bypassing the types) is a bug.
      const listed = Object.hasOwn(table, options.code) ? table[options.code] : 'internal'
      super({ ...options, category: refine?.(options) ?? listed })
      this.name = name
      Object.defineProperty(this, marker, { value: true })
    }

    /** True when `value` is this package's error (optionally with the given code), from any copy. */
    static is(value: unknown, code?: Code): value is PackageError {
      return (
        typeof value === 'object' &&
        value !== null &&
        (value as Record<symbol, unknown>)[marker] === true &&
        (code === undefined || (value as { code?: unknown }).code === code)
      )
    }
  }
  Object.defineProperty(PackageError, 'name', { value: name })
  return PackageError
}

/** Stable codes of {@link CoreError}. Codes are API. */
export type CoreErrorCode =
  /** A digest is not `sha256:<64 hex digits>`. */
  | 'CORE_INVALID_DIGEST'
  /** A value canonical JSON cannot encode (a non-finite number, a bigint, a function or a symbol). */
  | 'CORE_INVALID_INPUT'

// Typed through ReturnType so the declaration build does not need the base class's private marker.
const CoreErrorBase: ReturnType<typeof defineErrorClass<CoreErrorCode>> = defineErrorClass<CoreErrorCode>(
  'CoreError',
  { CORE_INVALID_DIGEST: 'invalid_input', CORE_INVALID_INPUT: 'invalid_input' },
)

/** The error of core's own helpers (digests, canonical JSON). `DerError` and `X509Error` cover DER and certificates. */
export class CoreError extends CoreErrorBase {}
