import { CliError } from './errors.js'
import { readInputFile, resolvePath } from './files.js'
import type { CliIo } from './io.js'

/** The audience Fulcio expects in OIDC identity tokens. */
export const SIGSTORE_AUDIENCE = 'sigstore'

/** Where `sign --keyless` takes its OIDC identity token from, first match wins. */
export interface IdentityTokenFlags {
  identityToken?: string
  identityTokenFile?: string
}

/** An identity token and where it came from (named in output; the token itself never is). */
export interface IdentityToken {
  token: string
  source: '--identity-token' | '--identity-token-file' | 'SIGSTORE_ID_TOKEN' | 'github-actions'
}

/** How long the CI provider's token endpoint may take. */
const TOKEN_REQUEST_TIMEOUT_MS = 10_000

/**
 * The OIDC token for keyless signing: `--identity-token`, else `--identity-token-file`, else the ambient token of
 * the environment — `$SIGSTORE_ID_TOKEN` (as cosign), or GitHub Actions' token endpoint
 * (`ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, present with `permissions: id-token: write`)
 * asked for audience `sigstore`.
 * @throws CliError `CLI_USAGE` when there is none; `CLI_IDENTITY_TOKEN` when the provider fails.
 */
export async function resolveIdentityToken(io: CliIo, flags: IdentityTokenFlags): Promise<IdentityToken> {
  if (flags.identityToken !== undefined) {
    return { token: nonEmpty(flags.identityToken, '--identity-token'), source: '--identity-token' }
  }
  if (flags.identityTokenFile !== undefined) {
    const path = resolvePath(io.cwd, flags.identityTokenFile)
    const text = (await readInputFile(path, 'identity token file')).toString('utf8')
    return { token: nonEmpty(text, `identity token file ${path}`), source: '--identity-token-file' }
  }
  const fromEnv = io.env.SIGSTORE_ID_TOKEN?.trim()
  if (fromEnv) return { token: fromEnv, source: 'SIGSTORE_ID_TOKEN' }
  const url = io.env.ACTIONS_ID_TOKEN_REQUEST_URL?.trim()
  const bearer = io.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN?.trim()
  if (url && bearer) return { token: await fetchGitHubActionsToken(url, bearer), source: 'github-actions' }
  throw new CliError({
    code: 'CLI_USAGE',
    message:
      'keyless signing needs an OIDC identity token: --identity-token-file FILE, --identity-token JWT, $SIGSTORE_ID_TOKEN, or GitHub Actions with `permissions: id-token: write`',
  })
}

function nonEmpty(value: string, what: string): string {
  const token = value.trim()
  if (token === '') throw new CliError({ code: 'CLI_INPUT_INVALID', message: `${what} is empty` })
  return token
}

/**
 * Asks the GitHub Actions token endpoint for a token with audience `sigstore`. Errors name the HTTP status, never
 * the request token or the response body (which would hold the identity token).
 */
async function fetchGitHubActionsToken(requestUrl: string, bearer: string): Promise<string> {
  let url: URL
  try {
    url = new URL(requestUrl)
  } catch {
    throw new CliError({ code: 'CLI_IDENTITY_TOKEN', message: 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL' })
  }
  url.searchParams.set('audience', SIGSTORE_AUDIENCE)
  let response: Response
  try {
    response = await fetch(url, {
      headers: { authorization: `bearer ${bearer}`, accept: 'application/json' },
      signal: AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS),
    })
  } catch (error) {
    throw new CliError({
      code: 'CLI_IDENTITY_TOKEN',
      message: `the GitHub Actions token endpoint (${url.host}) could not be reached: ${(error as Error).name}`,
    })
  }
  const body = (await response.json().catch(() => undefined)) as { value?: unknown } | undefined
  if (!response.ok || typeof body?.value !== 'string' || body.value.trim() === '') {
    throw new CliError({
      code: 'CLI_IDENTITY_TOKEN',
      message: `the GitHub Actions token endpoint answered HTTP ${response.status} without a token${
        response.status === 401 || response.status === 403 ? ' (does the job have `id-token: write`?)' : ''
      }`,
      details: { status: response.status },
    })
  }
  return body.value.trim()
}
