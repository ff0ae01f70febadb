import { readFile } from 'node:fs/promises'
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
  bundle?: string
  identity?: string
  identityRegex?: string
  issuer?: string
  key?: string
  trustedRoot?: string
  input?: string
}

class UsageError extends Error {}

function parseArgs(argv: string[]): ParsedArgs {
  const args = argv[0] === 'verify-bundle' ? argv.slice(1) : argv
  const parsed: ParsedArgs = { staging: false }
  const options: Record<string, keyof ParsedArgs> = {
    '--bundle': 'bundle',
    '--certificate-identity': 'identity',
    '--certificate-identity-regexp': 'identityRegex',
    '--certificate-oidc-issuer': 'issuer',
    '--key': 'key',
    '--trusted-root': 'trustedRoot',
  }
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!
    if (arg === '--staging') {
      parsed.staging = true
      continue
    }
    const name = options[arg]
    if (name) {
      const value = args[++index]
      if (value === undefined) throw new UsageError(`${arg} needs a value`)
      ;(parsed as unknown as Record<string, string>)[name] = value
      continue
    }
    if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`)
    if (parsed.input !== undefined) throw new UsageError('only one FILE_OR_DIGEST may be given')
    parsed.input = arg
  }
  if (!parsed.bundle) throw new UsageError('--bundle is required')
  if (parsed.input === undefined) throw new UsageError('FILE_OR_DIGEST is required')
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
    args = parseArgs(argv)
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n${USAGE}`)
    return 2
  }
  try {
    let bundleText: string
    try {
      bundleText = await readFile(args.bundle!, 'utf8')
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
    const input = args.input!
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
