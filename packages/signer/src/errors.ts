import { defineErrorClass } from '@certus-trust/core'

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
  defineErrorClass<SignerErrorCode>('SignerError')
export class SignerError extends SignerErrorBase {}
