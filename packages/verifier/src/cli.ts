import { readFile } from 'node:fs/promises'
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { isSha256Digest } from '@certus-trust/core'
import { VerifierError } from './errors.js'
import type { VerificationPolicy } from './policy.js'
import { fetchTrustedRoot, loadTrustedRootFile, publicGoodTrustMaterial } from './trust.js'
import type { TrustMaterial } from './trust-root.js'
import { createVerifier } from './verifier.js'

/** Where the command writes (defaults to the process streams). */
export interface CommandIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

const USAGE = `usage:
  verify-bundle [--staging] --bundle FILE --certificate-identity IDENTITY --certificate-oidc-issuer URL [--trusted-root FILE] FILE_OR_DIGEST
  verify-bundle [--staging] --bundle FILE --key PUBKEY.pem [--trusted-root FILE] FILE_OR_DIGEST
`

interface ParsedArgs {
  staging: boolean
  bundle: string
  identity?: string
  identityRegex?: string
  issuer?: string
  key?: string
  trustedRoot?: string
  input: string
}

/** A bad command line: exit status 2 with the usage text. */
class UsageError extends Error {
  readonly code = 'VERIFY_BUNDLE_USAGE'
}

/** Every flag the conformance protocol (and our `--staging`) passes; values are strings. */
const OPTIONS = {
  staging: { type: 'boolean' },
  bundle: { type: 'string' },
  'certificate-identity': { type: 'string' },
  'certificate-identity-regexp': { type: 'string' },
  'certificate-oidc-issuer': { type: 'string' },
  key: { type: 'string' },
  'trusted-root': { type: 'string' },
} as const satisfies ParseArgsOptionsConfig

/** node:util's parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes; they are usage errors here. */
function parseCommandLine(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError((error as Error).message, { cause: error })
    }
    throw error
  }
}

function parseVerifyBundleArgs(argv: string[]): ParsedArgs {
  const { values, positionals } = parseCommandLine(argv[0] === 'verify-bundle' ? argv.slice(1) : argv)
  if (positionals.length > 1) throw new UsageError('only one FILE_OR_DIGEST may be given')
  const [input] = positionals
  if (!values.bundle) throw new UsageError('--bundle is required')
  if (input === undefined) throw new UsageError('FILE_OR_DIGEST is required')
  const parsed: ParsedArgs = {
    staging: values.staging ?? false,
    bundle: values.bundle,
    identity: values['certificate-identity'],
    identityRegex: values['certificate-identity-regexp'],
    issuer: values['certificate-oidc-issuer'],
    key: values.key,
    trustedRoot: values['trusted-root'],
    input,
  }
  const identityGiven = parsed.identity !== undefined || parsed.identityRegex !== undefined
  if (parsed.key !== undefined && (identityGiven || parsed.issuer !== undefined)) {
    throw new UsageError('give either --key or --certificate-identity/--certificate-oidc-issuer, not both')
  }
  if (parsed.key === undefined && (!identityGiven || parsed.issuer === undefined)) {
    throw new UsageError('--certificate-identity and --certificate-oidc-issuer (or --key) are required')
  }
  return parsed
}

async function trustFor(args: ParsedArgs): Promise<TrustMaterial> {
  if (args.trustedRoot) return loadTrustedRootFile(args.trustedRoot)
  if (args.staging) return fetchTrustedRoot({ staging: true })
  return publicGoodTrustMaterial()
}

/**
 * The Sigstore conformance `verify-bundle` command. FILE_OR_DIGEST is a digest when it is
 * `sha256:` + 64 hex digits and names no existing file. Returns the exit code: 0 = verified,
 * 1 = rejected (reason on stderr), 2 = usage error.
 *
 * @example
 * process.exitCode = await runVerifyBundle(process.argv.slice(2))
 */
export async function runVerifyBundle(argv: string[], io: CommandIo = process): Promise<number> {
  let args: ParsedArgs
  try {
    args = parseVerifyBundleArgs(argv)
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n${USAGE}`)
    return 2
  }
  try {
    let bundleText: string
    try {
      bundleText = await readFile(args.bundle, 'utf8')
    } catch (error) {
      throw new VerifierError({
        code: 'VERIFIER_MALFORMED_BUNDLE',
        message: `cannot read bundle ${args.bundle}`,
        cause: error,
      })
    }
    let policy: VerificationPolicy
    if (args.key !== undefined) {
      let pem: string
      try {
        pem = await readFile(args.key, 'utf8')
      } catch (error) {
        throw new VerifierError({
          code: 'VERIFIER_INVALID_POLICY',
          message: `cannot read key ${args.key}`,
          cause: error,
        })
      }
      policy = { publicKey: pem }
    } else {
      policy = { identity: args.identity, identityRegex: args.identityRegex, issuer: args.issuer }
    }
    const verifier = createVerifier({ trustedRoot: await trustFor(args) })
    // The conformance protocol's FILE_OR_DIGEST: a `sha256:<hex>` argument is a digest, anything else a path.
    const input = args.input
    const artifact = isSha256Digest(input) ? input : { path: input }
    const result = await verifier.verify(bundleText, artifact, policy)
    const who =
      result.signer.kind === 'certificate'
        ? `${result.signer.identity} (${result.signer.issuer ?? 'no issuer'})`
        : `key ${result.signer.keyId}`
    const entry = result.tlogEntries[0]
    io.stdout.write(
      `OK: ${result.artifact.sha256} signed by ${who} at ${result.signedAt.toISOString()}${entry ? `, log index ${entry.logIndex} in ${entry.baseUrl}` : ''}\n`,
    )
    return 0
  } catch (error) {
    if (VerifierError.is(error)) {
      io.stderr.write(`verification failed: ${error.code}: ${error.message}\n`)
    } else {
      io.stderr.write(`verification failed: ${(error as Error)?.message ?? String(error)}\n`)
    }
    return 1
  }
}
