import type { KeyObject } from 'node:crypto'
import type { KeylessOptions, KeyProvider } from '@certus-trust/signer'
import { CliError } from './errors.js'
import { type IdentityTokenFlags, resolveIdentityToken } from './identity-token.js'
import { readSigningKeyOption } from './keys.js'
import type { Output } from './output.js'
import { readPassword } from './password.js'

/** The flags that choose who signs: a key (file or KMS), or keyless through Fulcio. */
export interface SigningIdentityFlags extends IdentityTokenFlags {
  key?: string
  passwordStdin?: boolean
  keyless?: boolean
  fulcioUrl?: string
}

/** Who signs: `--key` (undefined = the data directory's key), or keyless options for the signer. */
export type SigningIdentity =
  | { kind: 'key'; key: KeyProvider | KeyObject | undefined }
  | { kind: 'keyless'; keyless: KeylessOptions; tokenSource: string; fulcioUrl: string }

/**
 * Reads the signing identity before anything is signed or recorded: `--keyless` (implied by `--identity-token`
 * and `--identity-token-file`) gets its OIDC token now, a `--key` is decrypted and checked now.
 * @throws CliError `CLI_USAGE` for a key together with keyless flags.
 */
export async function chooseSigningIdentity(
  out: Output,
  flags: SigningIdentityFlags,
): Promise<SigningIdentity> {
  const keyless =
    flags.keyless === true || flags.identityToken !== undefined || flags.identityTokenFile !== undefined
  if (!keyless) {
    if (flags.fulcioUrl !== undefined) {
      throw new CliError({ code: 'CLI_USAGE', message: '--fulcio-url is for --keyless signing' })
    }
    const password = await readPassword(out.io, { passwordStdin: flags.passwordStdin === true })
    return { kind: 'key', key: await readSigningKeyOption(out.io.cwd, flags.key, password) }
  }
  if (flags.key !== undefined || flags.passwordStdin) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: 'keyless signing uses a Fulcio certificate: --key and --password-stdin do not apply',
    })
  }
  const { DEFAULT_FULCIO_URL } = await import('@certus-trust/signer')
  const fulcioUrl = flags.fulcioUrl ?? (out.io.env.CERTUS_TRUST_FULCIO_ADDR?.trim() || DEFAULT_FULCIO_URL)
  if (!URL.canParse(fulcioUrl)) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: `--fulcio-url ${JSON.stringify(fulcioUrl)} is not a URL`,
    })
  }
  const { token, source } = await resolveIdentityToken(out.io, flags)
  out.note(`certus: keyless signing through ${fulcioUrl} (identity token from ${source})`)
  return { kind: 'keyless', keyless: { identityToken: token, fulcioUrl }, tokenSource: source, fulcioUrl }
}
