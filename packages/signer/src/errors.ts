import { type CertusErrorOptions, categoryOf, defineErrorClass, type ErrorCategory } from '@certus-trust/core'

/**
 * Stable codes of {@link SignerError}. Codes are API: adding one is minor, renaming is major.
 *
 * - `SIGNER_INVALID_INPUT` – an option or argument has the wrong shape (see `details.issues`).
 * - `SIGNER_INVALID_DIGEST` – a digest is not `sha256:<64 hex>`.
 * - `SIGNER_ARTIFACT_UNREADABLE` – the file or stream could not be read.
 * - `SIGNER_ARTIFACT_TOO_LARGE` – pure Ed25519 needs the whole artifact in memory and it exceeds the limit.
 * - `SIGNER_DIGEST_ONLY_UNSUPPORTED` – the key cannot sign a bare digest (Ed25519 signs the message itself).
 * - `SIGNER_UNSUPPORTED_ALGORITHM` – the key type, curve or scheme is not one we sign with.
 * - `SIGNER_WEAK_KEY` – an RSA key shorter than 2048 bits.
 * - `SIGNER_KEY_INVALID` – the key material could not be parsed.
 * - `SIGNER_WRONG_PASSPHRASE` – an encrypted PEM key could not be decrypted (missing or wrong passphrase).
 * - `SIGNER_KEY_WRITE_FAILED` – `generateKeyPair()` could not write the key files.
 * - `SIGNER_SIGNING_FAILED` – the key provider failed to sign.
 * - `SIGNER_WITNESS_REQUIRED` – no witness was given; pass a log (`EntryCreator`) or `'none'` explicitly.
 * - `SIGNER_WITNESS_FAILED` – a transparency log or TSA rejected or failed the request.
 * - `SIGNER_WITNESS_UNREACHABLE` – a transparency log or TSA could not be reached or timed out.
 * - `SIGNER_WITNESS_RESPONSE_INVALID` – the log answered with an entry that does not match what we submitted.
 * - `SIGNER_IDENTITY_TOKEN_INVALID` – the OIDC identity token is missing or malformed.
 * - `SIGNER_FULCIO_FAILED` – Fulcio rejected the certificate request.
 * - `SIGNER_FULCIO_UNREACHABLE` – Fulcio could not be reached or timed out.
 * - `SIGNER_BUNDLE_INVALID` – the assembled bundle failed Sigstore bundle validation (a bug; please report).
 * - `SIGNER_ABORTED` – the caller's `AbortSignal` fired.
 */
export type SignerErrorCode =
  | 'SIGNER_INVALID_INPUT'
  | 'SIGNER_INVALID_DIGEST'
  | 'SIGNER_ARTIFACT_UNREADABLE'
  | 'SIGNER_ARTIFACT_TOO_LARGE'
  | 'SIGNER_DIGEST_ONLY_UNSUPPORTED'
  | 'SIGNER_UNSUPPORTED_ALGORITHM'
  | 'SIGNER_WEAK_KEY'
  | 'SIGNER_KEY_INVALID'
  | 'SIGNER_WRONG_PASSPHRASE'
  | 'SIGNER_KEY_WRITE_FAILED'
  | 'SIGNER_SIGNING_FAILED'
  | 'SIGNER_WITNESS_REQUIRED'
  | 'SIGNER_WITNESS_FAILED'
  | 'SIGNER_WITNESS_UNREACHABLE'
  | 'SIGNER_WITNESS_RESPONSE_INVALID'
  | 'SIGNER_IDENTITY_TOKEN_INVALID'
  | 'SIGNER_FULCIO_FAILED'
  | 'SIGNER_FULCIO_UNREACHABLE'
  | 'SIGNER_BUNDLE_INVALID'
  | 'SIGNER_ABORTED'

/**
 * The one error class of `@certus-trust/signer`. Messages say what we were doing and what to do;
 * they never contain private keys, passphrases or identity tokens.
 *
 * @example
 * if (SignerError.is(error, 'SIGNER_WRONG_PASSPHRASE')) askAgain()
 */
// The explicit annotation lets declaration emit name the base type (core's marker symbol is module-private).
const SignerErrorBase: ReturnType<typeof defineErrorClass<SignerErrorCode>> =
  defineErrorClass<SignerErrorCode>(
    'SignerError',
    {
      SIGNER_INVALID_INPUT: 'invalid_input',
      SIGNER_INVALID_DIGEST: 'invalid_input',
      SIGNER_ARTIFACT_UNREADABLE: 'invalid_input',
      SIGNER_ARTIFACT_TOO_LARGE: 'too_large',
      SIGNER_DIGEST_ONLY_UNSUPPORTED: 'unsupported',
      SIGNER_UNSUPPORTED_ALGORITHM: 'unsupported',
      SIGNER_WEAK_KEY: 'invalid_input',
      SIGNER_KEY_INVALID: 'invalid_input',
      SIGNER_WRONG_PASSPHRASE: 'invalid_input',
      SIGNER_KEY_WRITE_FAILED: 'invalid_input',
      // A key provider failing without a typed cause is unexpected; see refineCategory for KMS causes.
      SIGNER_SIGNING_FAILED: 'internal',
      SIGNER_WITNESS_REQUIRED: 'invalid_config',
      SIGNER_WITNESS_FAILED: 'upstream_failure',
      SIGNER_WITNESS_UNREACHABLE: 'unavailable',
      SIGNER_WITNESS_RESPONSE_INVALID: 'upstream_failure',
      // A missing or malformed token; a token provider that threw is refined to upstream_failure below.
      SIGNER_IDENTITY_TOKEN_INVALID: 'invalid_input',
      SIGNER_FULCIO_FAILED: 'upstream_failure',
      SIGNER_FULCIO_UNREACHABLE: 'unavailable',
      SIGNER_BUNDLE_INVALID: 'internal',
      SIGNER_ABORTED: 'unavailable',
    },
    refineCategory,
  )
export class SignerError extends SignerErrorBase {}

/**
 * Refines two codes from their cause. `SIGNER_SIGNING_FAILED` wrapping a typed failure of the key provider (a
 * KMS): the provider is a dependency of ours, so an unreachable, throttled or timed-out one is `unavailable` and
 * any other typed failure (denied, missing key, bad answer) is `upstream_failure` — never a bug of ours, and never
 * the signing caller's fault. `SIGNER_IDENTITY_TOKEN_INVALID` with a cause: the token provider (a dependency)
 * threw, rather than the token being missing or malformed.
 */
function refineCategory(options: CertusErrorOptions<SignerErrorCode>): ErrorCategory | undefined {
  if (options.code === 'SIGNER_IDENTITY_TOKEN_INVALID')
    return options.cause === undefined ? undefined : 'upstream_failure'
  if (options.code !== 'SIGNER_SIGNING_FAILED') return undefined
  const cause = categoryOf(options.cause)
  if (cause === 'internal') return undefined
  return cause === 'unavailable' || cause === 'rate_limited' ? 'unavailable' : 'upstream_failure'
}
