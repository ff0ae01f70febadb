import { basename } from 'node:path'
import { DEFAULT_DATA_DIR, dataDirLayout } from '@certus-trust/service/layout'
import type { VerificationPolicy, VerificationResult } from '@certus-trust/verifier'
import { CliError, EXIT_CODES, exitCodeFor } from '../errors.js'
import { exists, readInputFile, resolvePath } from '../files.js'
import type { Output } from '../output.js'
import { createProgress } from '../progress.js'

export interface VerifyOptions {
  bundle?: string
  key?: string
  certificateIdentity?: string
  certificateIdentityRegexp?: string
  certificateOidcIssuer?: string
  trustedRoot?: string
  dataDir?: string
  json?: boolean
}

const DIGEST = /^sha256:[0-9a-f]{64}$/i

interface VerifiedItem {
  artifact: string
  bundle: string
  ok: boolean
  signer?: string
  signedAt?: string
  logIndex?: string
  error?: { code: string; message: string }
}

/**
 * `certus verify FILE_OR_DIGEST... [--bundle B] (--key PUB | --certificate-identity[-regexp] I --certificate-oidc-issuer U)
 * [--trusted-root T]`: verifies every artifact against its bundle (default `<file>.sigstore.json`); exit 0 only
 * when all verified, 1 when any was rejected.
 */
export async function runVerify(inputs: string[], options: VerifyOptions, out: Output): Promise<number> {
  if (inputs.length === 0)
    throw new CliError({ code: 'CLI_USAGE', message: 'name at least one file (or sha256: digest) to verify' })
  if (inputs.length > 1 && options.bundle) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: '--bundle names one bundle: use it with one artifact (default: <file>.sigstore.json)',
    })
  }
  const policy = await policyFrom(options, out)
  const trustedRoot = await trustedRootFrom(options, out)

  // Artifacts: an existing file wins over a digest-looking name, as in the conformance protocol.
  const items = await Promise.all(
    inputs.map(async (input) => {
      const path = resolvePath(out.io.cwd, input)
      const isFile = await exists(path)
      if (!isFile && !DIGEST.test(input)) {
        throw new CliError({
          code: 'CLI_FILE_NOT_FOUND',
          message: `cannot read file ${path}`,
          details: { path },
        })
      }
      if (!isFile && !options.bundle) {
        throw new CliError({
          code: 'CLI_USAGE',
          message: `--bundle is required to verify a bare digest (${input})`,
        })
      }
      const bundlePath = options.bundle ? resolvePath(out.io.cwd, options.bundle) : `${path}.sigstore.json`
      const bundle = (await readInputFile(bundlePath, 'bundle')).toString('utf8')
      return {
        label: isFile ? path : input,
        bundlePath,
        bundle,
        artifact: isFile ? { path } : { digest: input.toLowerCase() },
      }
    }),
  )

  const { createVerifier } = await import('@certus-trust/verifier')
  const verifier = createVerifier(trustedRoot === undefined ? {} : { trustedRoot })
  const progress = await createProgress(out, items.length, 'verifying')
  let outcomes: Awaited<ReturnType<typeof verifier.verifyBatch>>
  try {
    outcomes = await verifier.verifyBatch(
      items.map((item) => ({ bundle: item.bundle, artifact: item.artifact, policy })),
      { concurrency: 4, onProgress: ({ index }) => progress.tick(basename(items[index]?.label ?? '')) },
    )
  } finally {
    progress.stop()
  }

  let exitCode: number = EXIT_CODES.OK
  const results: VerifiedItem[] = outcomes.map((outcome, index) => {
    const item = items[index] as (typeof items)[number]
    if (outcome.ok)
      return { artifact: item.label, bundle: item.bundlePath, ok: true, ...describe(outcome.result) }
    exitCode ||= exitCodeFor(outcome.error)
    return {
      artifact: item.label,
      bundle: item.bundlePath,
      ok: false,
      error: { code: outcome.error.code, message: outcome.error.message },
    }
  })
  out.result(
    results.map((result) =>
      result.ok
        ? `OK      ${result.artifact}: signed by ${result.signer} at ${result.signedAt}${result.logIndex === undefined ? '' : `, log index ${result.logIndex}`}`
        : `FAILED  ${result.artifact}: ${result.error?.message} (${result.error?.code})`,
    ),
    { ok: exitCode === EXIT_CODES.OK, results },
  )
  if (!out.json) {
    for (const result of results)
      if (!result.ok)
        out.io.stderr.write(`certus: ${result.artifact}: ${result.error?.message} (${result.error?.code})\n`)
  }
  return exitCode
}

function describe(result: VerificationResult): Pick<VerifiedItem, 'signer' | 'signedAt' | 'logIndex'> {
  const signer =
    result.signer.kind === 'certificate'
      ? `${result.signer.identity}${result.signer.issuer ? ` (${result.signer.issuer})` : ''}`
      : `key sha256:${result.signer.keyId}`
  return { signer, signedAt: result.signedAt.toISOString(), logIndex: result.tlogEntries[0]?.logIndex }
}

async function policyFrom(options: VerifyOptions, out: Output): Promise<VerificationPolicy> {
  const identityGiven =
    options.certificateIdentity !== undefined || options.certificateIdentityRegexp !== undefined
  if (options.key !== undefined) {
    if (identityGiven || options.certificateOidcIssuer !== undefined) {
      throw new CliError({
        code: 'CLI_USAGE',
        message: 'give either --key or --certificate-identity/--certificate-oidc-issuer, not both',
      })
    }
    const pem = (await readInputFile(resolvePath(out.io.cwd, options.key), 'public key')).toString('utf8')
    if (!pem.includes('-----BEGIN')) {
      throw new CliError({
        code: 'CLI_INPUT_INVALID',
        message: `public key ${options.key} is not a PEM file`,
      })
    }
    return { publicKey: pem }
  }
  if (!identityGiven || options.certificateOidcIssuer === undefined) {
    throw new CliError({
      code: 'CLI_USAGE',
      message:
        'say who must have signed: --key PUB.pem, or --certificate-identity (or -regexp) with --certificate-oidc-issuer',
    })
  }
  return {
    ...(options.certificateIdentity !== undefined ? { identity: options.certificateIdentity } : {}),
    ...(options.certificateIdentityRegexp !== undefined
      ? { identityRegex: options.certificateIdentityRegexp }
      : {}),
    issuer: options.certificateOidcIssuer,
  }
}

/**
 * The trust material: `--trusted-root`, else the trusted root the data directory's embedded log last
 * exported (`trusted_root.json`, written by `sign`), else undefined = the embedded public-good root.
 */
async function trustedRootFrom(options: VerifyOptions, out: Output): Promise<string | undefined> {
  if (options.trustedRoot)
    return (await readInputFile(resolvePath(out.io.cwd, options.trustedRoot), 'trusted root')).toString(
      'utf8',
    )
  const local = dataDirLayout(resolvePath(out.io.cwd, options.dataDir ?? DEFAULT_DATA_DIR)).trustedRootPath
  if (await exists(local)) return (await readInputFile(local, 'trusted root')).toString('utf8')
  return undefined
}
