import type { VerificationPolicy, VerificationResult } from '@certus-trust/verifier'
import { CliError } from '../errors.js'
import { readInputFile, resolvePath } from '../files.js'

/** The policy flags of `certus verify`, as cosign names them. */
export interface PolicyFlags {
  key?: string
  certificateIdentity?: string
  certificateIdentityRegexp?: string
  certificateOidcIssuer?: string
  certificateOidcIssuerRegexp?: string
}

/** What `verify` checks: the verifier's policy, plus an issuer pattern it checks on the verified result. */
export interface CliPolicy {
  policy: VerificationPolicy
  /** `--certificate-oidc-issuer-regexp`, checked after the verifier accepted the certificate. */
  issuerPattern?: RegExp
}

/**
 * Compiles a `--…-regexp` flag the way cosign does (Go's `regexp.MatchString`): the pattern may match anywhere in
 * the value — it is NOT anchored. Write `^…$` to match the whole value.
 */
export function compilePattern(flag: string, pattern: string): RegExp {
  try {
    return new RegExp(pattern)
  } catch (error) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: `${flag} is not a valid regular expression: ${(error as Error).message}`,
    })
  }
}

/** Builds the policy from `--key` or the certificate flags; anything missing or contradictory is `CLI_USAGE`. */
export async function policyFromFlags(flags: PolicyFlags, cwd: string): Promise<CliPolicy> {
  const identityGiven =
    flags.certificateIdentity !== undefined || flags.certificateIdentityRegexp !== undefined
  const issuerGiven =
    flags.certificateOidcIssuer !== undefined || flags.certificateOidcIssuerRegexp !== undefined
  if (flags.key !== undefined) {
    if (identityGiven || issuerGiven) {
      throw new CliError({
        code: 'CLI_USAGE',
        message: 'give either --key or the --certificate-identity/--certificate-oidc-issuer flags, not both',
      })
    }
    const path = resolvePath(cwd, flags.key)
    const pem = (await readInputFile(path, 'public key')).toString('utf8')
    if (!pem.includes('-----BEGIN')) {
      throw new CliError({ code: 'CLI_INPUT_INVALID', message: `public key ${path} is not a PEM file` })
    }
    return { policy: { publicKey: pem } }
  }
  if (!identityGiven || !issuerGiven) {
    throw new CliError({
      code: 'CLI_USAGE',
      message:
        'say who must have signed: --key PUB.pem, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp]',
    })
  }
  const identityRegex =
    flags.certificateIdentityRegexp === undefined
      ? undefined
      : compilePattern('--certificate-identity-regexp', flags.certificateIdentityRegexp)
  const issuerPattern =
    flags.certificateOidcIssuerRegexp === undefined
      ? undefined
      : compilePattern('--certificate-oidc-issuer-regexp', flags.certificateOidcIssuerRegexp)
  const policy: VerificationPolicy = {
    ...(flags.certificateIdentity !== undefined ? { identity: flags.certificateIdentity } : {}),
    ...(identityRegex ? { identityRegex } : {}),
    // With only an issuer pattern the verifier checks the chain and identity, the pattern is checked here.
    ...(flags.certificateOidcIssuer !== undefined
      ? { issuer: flags.certificateOidcIssuer }
      : { allowAnyIdentity: true }),
  }
  return { policy, ...(issuerPattern ? { issuerPattern } : {}) }
}

/**
 * The `--certificate-oidc-issuer-regexp` check on a verified result.
 * @returns an error object when the issuer does not match, else undefined.
 */
export function checkIssuerPattern(
  policy: CliPolicy,
  result: VerificationResult,
): { code: string; message: string } | undefined {
  if (!policy.issuerPattern) return undefined
  const issuer = result.signer.kind === 'certificate' ? (result.signer.issuer ?? '') : ''
  policy.issuerPattern.lastIndex = 0
  if (policy.issuerPattern.test(issuer)) return undefined
  return {
    code: 'VERIFIER_IDENTITY_MISMATCH',
    message: `certificate issuer ${JSON.stringify(issuer)} does not match ${String(policy.issuerPattern)}`,
  }
}
