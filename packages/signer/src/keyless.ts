import { generateKeyPairSync } from 'node:crypto'
import type { Signer as SigstoreSigner } from '@sigstore/sign'
import { SignerError } from './errors.js'
import { createLocalKeyProvider } from './key-provider.js'
import { checkUrl, withAbort } from './witness.js'

/** The public-good Fulcio instance (the same default as @sigstore/sign's). */
export const DEFAULT_FULCIO_URL = 'https://fulcio.sigstore.dev'

/** Where the OIDC identity token comes from: the token itself, or a function that returns one (called once per signature). */
export type IdentityTokenSource = string | (() => string | Promise<string>)

/** Keyless signing through Fulcio: an ephemeral P-256 key certified for the token's identity. */
export interface KeylessOptions {
  /**
   * The OIDC identity token, or a function returning it. For a token in an environment variable, pass the value
   * you read (`identityToken: process.env.SIGSTORE_ID_TOKEN`): this library never reads `process.env`.
   */
  identityToken: IdentityTokenSource
  /** Fulcio base URL. @default 'https://fulcio.sigstore.dev' */
  fulcioUrl?: string
  /** Request timeout in milliseconds. @default 10000 */
  timeout?: number
  /** Retries on 408/429/5xx and network errors. @default 2 */
  retries?: number
}

/** @internal What to sign keylessly: message bytes, or only a SHA-256 digest of them. */
export type KeylessPayload = { data: Buffer } | { digest: Buffer }

/** @internal A keyless signature with the PEM leaf certificate Fulcio issued. */
export interface KeylessSignature {
  signature: Buffer
  certificatePem: string
}

/** @internal Checks the options once, when a signer is created. */
export function checkKeylessOptions(options: KeylessOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new SignerError({
      code: 'SIGNER_INVALID_INPUT',
      message: 'keyless must be an object with identityToken',
    })
  }
  if (typeof options.identityToken !== 'string' && typeof options.identityToken !== 'function') {
    throw new SignerError({
      code: 'SIGNER_IDENTITY_TOKEN_INVALID',
      message: 'keyless.identityToken must be a token string or a function returning one',
    })
  }
  if (options.fulcioUrl !== undefined) checkUrl(options.fulcioUrl, 'keyless.fulcioUrl')
}

/**
 * Signs through Fulcio (via @sigstore/sign's FulcioSigner) with a fresh ephemeral key per call, so a stolen key
 * is useless once its short-lived certificate expires.
 * @internal
 */
export async function signKeyless(
  options: KeylessOptions,
  payload: KeylessPayload,
  signal?: AbortSignal,
): Promise<KeylessSignature> {
  const token = await readToken(options.identityToken)
  const ephemeral = createLocalKeyProvider(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
  // FulcioSigner signs twice with the key holder: the token subject (proof of possession), then our payload.
  // The payload is recognised by identity, so a bare digest can be signed prehashed.
  const marker = 'data' in payload ? payload.data : Buffer.alloc(0)
  const keyHolder: SigstoreSigner = {
    sign: async (data) => ({
      signature: Buffer.from(
        data === marker && 'digest' in payload
          ? await ephemeral.signDigest(payload.digest, 'sha256')
          : await ephemeral.sign(data),
      ),
      key: { $case: 'publicKey', publicKey: ephemeral.info.publicKeyPem },
    }),
  }
  // @sigstore/sign (and its HTTP stack) is loaded only when a keyless signature is made: key-based signing, the
  // CLI's common case, never pays for it.
  const { FulcioSigner } = await import('@sigstore/sign')
  const fulcio = new FulcioSigner({
    identityProvider: { getToken: async () => token },
    keyHolder,
    fulcioBaseURL: (options.fulcioUrl ?? DEFAULT_FULCIO_URL).replace(/\/+$/, ''),
    timeout: options.timeout ?? 10_000,
    retry: options.retries ?? 2,
  })
  try {
    const result = await withAbort(fulcio.sign(marker), signal)
    if (result.key.$case !== 'x509Certificate') throw new Error('Fulcio returned no certificate')
    return { signature: result.signature, certificatePem: result.key.certificate }
  } catch (error) {
    throw wrapFulcioError(error)
  }
}

async function readToken(source: IdentityTokenSource): Promise<string> {
  let token: unknown
  try {
    token = typeof source === 'function' ? await source() : source
  } catch (error) {
    throw new SignerError({
      code: 'SIGNER_IDENTITY_TOKEN_INVALID',
      message: 'the identity token provider failed',
      cause: error,
    })
  }
  if (typeof token !== 'string' || token.trim() === '') {
    throw new SignerError({
      code: 'SIGNER_IDENTITY_TOKEN_INVALID',
      message: 'no OIDC identity token: pass one (or a provider) in keyless.identityToken',
    })
  }
  // Checked here because @sigstore/sign quotes the whole token in its parse error, and tokens must not reach logs.
  const parts = token.trim().split('.')
  let claims: Record<string, unknown> | undefined
  try {
    claims =
      parts.length === 3
        ? (JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>)
        : undefined
  } catch {
    claims = undefined
  }
  if (!claims || typeof claims !== 'object') {
    throw new SignerError({
      code: 'SIGNER_IDENTITY_TOKEN_INVALID',
      message: 'the identity token is not a JWT (header.payload.signature)',
    })
  }
  if (typeof claims.email === 'string' ? claims.email_verified !== true : typeof claims.sub !== 'string') {
    throw new SignerError({
      code: 'SIGNER_IDENTITY_TOKEN_INVALID',
      message:
        'the identity token has no subject: it needs a "sub" claim, or an "email" with "email_verified": true',
    })
  }
  return token.trim()
}

function wrapFulcioError(error: unknown): SignerError {
  if (SignerError.is(error)) return error
  const cause = (error as { cause?: { statusCode?: number; code?: string } })?.cause
  const status = cause?.statusCode
  const code = String((error as { code?: unknown })?.code ?? '')
  if (code.startsWith('IDENTITY_TOKEN')) {
    // Drop the cause: its message may quote the token.
    return new SignerError({
      code: 'SIGNER_IDENTITY_TOKEN_INVALID',
      message: 'the identity token was rejected',
    })
  }
  const unreachable = status === undefined || status >= 500 || status === 408 || status === 429
  return new SignerError({
    code: unreachable ? 'SIGNER_FULCIO_UNREACHABLE' : 'SIGNER_FULCIO_FAILED',
    message: unreachable
      ? `Fulcio could not be reached${status ? ` (HTTP ${status})` : ''}: check fulcioUrl and retry later`
      : `Fulcio refused the certificate request (HTTP ${status}): check the identity token's issuer and audience ("sigstore")`,
    details: { ...(status !== undefined ? { status } : {}) },
    cause: error,
  })
}
