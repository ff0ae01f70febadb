const CERTUS_ERROR_MARKER = Symbol.for('@certus-trust/core/CertusError')

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

  constructor(options: CertusErrorOptions<Code>) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CertusError'
    this.code = options.code
    this.details = options.details ?? {}
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

/**
 * Creates a package error class whose `is()` guard works across duplicate package copies.
 *
 * @example
 * export class RekorError extends defineErrorClass<RekorErrorCode>('RekorError') {}
 */
export function defineErrorClass<Code extends string>(name: string) {
  const marker = Symbol.for(`@certus-trust/error/${name}`)
  class PackageError extends CertusError<Code> {
    constructor(options: CertusErrorOptions<Code>) {
      super(options)
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
