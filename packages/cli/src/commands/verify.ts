import { basename } from 'node:path'
import type { VerificationResult } from '@certus-trust/verifier'
import { CliError, EXIT_CODES, exitCodeFor } from '../errors.js'
import { exists, readInputFile, resolvePath } from '../files.js'
import type { Output } from '../output.js'
import { createProgress } from '../progress.js'
import { batchSummary, type ItemError, itemError, type Summary } from '../summary.js'
import { checkIssuerPattern, type PolicyFlags, policyFromFlags } from '../verify/policy.js'
import { chooseTrust, describeTrust, type TrustSource } from '../verify/trust.js'

export interface VerifyOptions extends PolicyFlags {
  bundle?: string
  trustedRoot?: string
  /** `--tuf` (true) or `--tuf MIRROR`. */
  tuf?: string | boolean
  tufRoot?: string
  dataDir?: string
  json?: boolean
}

const DIGEST = /^sha256:[0-9a-f]{64}$/i

/** What `verify --json` reports per artifact (integers are JSON numbers, see the README). */
interface VerifiedItem {
  artifact: string
  bundle: string
  ok: boolean
  signer?: string
  issuer?: string
  signedAt?: string
  logIndex?: number
  uuid?: string
  integratedTime?: number
  error?: ItemError
}

/** One artifact to verify, or why it cannot be. */
type Prepared =
  | { label: string; bundlePath: string; bundle: string; artifact: { path: string } | { digest: string } }
  | { label: string; bundlePath: string; error: unknown }

/**
 * `certus verify FILE_OR_DIGEST... [--bundle B] (--key PUB | --certificate-identity[-regexp] I
 * --certificate-oidc-issuer[-regexp] U) [--trusted-root T | --data-dir D]`: verifies every artifact against its
 * bundle (default `<file>.sigstore.json`). Exit 0 only when all verified; otherwise the first failure's status.
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
  const policy = await policyFromFlags(options, out.io.cwd)
  const trust = await chooseTrust(out.io, options)
  out.note(`certus: trust: ${describeTrust(trust.sources)}`)
  // Warnings reach stderr even with --json (stdout stays one document, which lists them too).
  for (const warning of trust.warnings) out.io.stderr.write(`certus: warning: ${warning}\n`)
  const prepared = await Promise.all(inputs.map((input) => prepare(input, options, out)))

  const { createVerifier } = await import('@certus-trust/verifier')
  const verifier = createVerifier(trust.trustedRoot === undefined ? {} : { trustedRoot: trust.trustedRoot })
  const ready = prepared.filter((item) => 'bundle' in item)
  const progress = await createProgress(out, ready.length, 'verifying')
  let outcomes: Awaited<ReturnType<typeof verifier.verifyBatch>>
  try {
    outcomes = await verifier.verifyBatch(
      ready.map((item) => ({ bundle: item.bundle, artifact: item.artifact, policy: policy.policy })),
      { concurrency: 4, onProgress: ({ index }) => progress.tick(basename(ready[index]?.label ?? '')) },
    )
  } finally {
    progress.stop()
  }

  let exitCode: number = EXIT_CODES.OK
  const results: VerifiedItem[] = prepared.map((item) => {
    const base = { artifact: item.label, bundle: item.bundlePath }
    if (!('bundle' in item)) {
      exitCode ||= exitCodeFor(item.error)
      return { ...base, ok: false, error: itemError(item.error) }
    }
    const outcome = outcomes[ready.indexOf(item)]
    if (!outcome?.ok) {
      exitCode ||= exitCodeFor(outcome?.error)
      return { ...base, ok: false, error: itemError(outcome?.error) }
    }
    const mismatch = checkIssuerPattern(policy, outcome.result)
    if (mismatch) {
      exitCode ||= EXIT_CODES.VERIFICATION_FAILED
      return { ...base, ok: false, error: mismatch }
    }
    return { ...base, ok: true, ...describe(outcome.result) }
  })
  report(out, results, trust, exitCode)
  return exitCode
}

/** Locates one artifact and reads its bundle; a missing file is that item's failure, not the batch's. */
async function prepare(input: string, options: VerifyOptions, out: Output): Promise<Prepared> {
  // An existing file wins over a digest-looking name, as in the conformance protocol.
  const path = resolvePath(out.io.cwd, input)
  const isFile = await exists(path)
  const bundlePath = options.bundle ? resolvePath(out.io.cwd, options.bundle) : `${path}.sigstore.json`
  const label = isFile ? path : input
  if (!isFile && !DIGEST.test(input)) {
    return {
      label,
      bundlePath,
      error: new CliError({
        code: 'CLI_FILE_NOT_FOUND',
        message: `cannot read file ${path}`,
        details: { path },
      }),
    }
  }
  if (!isFile && !options.bundle) {
    // A usage mistake that applies to the whole run.
    throw new CliError({
      code: 'CLI_USAGE',
      message: `--bundle is required to verify a bare digest (${input})`,
    })
  }
  try {
    const bundle = (await readInputFile(bundlePath, 'bundle')).toString('utf8')
    return { label, bundlePath, bundle, artifact: isFile ? { path } : { digest: input.toLowerCase() } }
  } catch (error) {
    return { label, bundlePath, error }
  }
}

function report(
  out: Output,
  results: VerifiedItem[],
  trust: { sources: TrustSource[]; warnings: string[] },
  exitCode: number,
): void {
  const summary: Summary = batchSummary(
    results.length,
    results.filter((result) => !result.ok).length,
    'verified',
  )
  out.result(
    results.map((result) =>
      result.ok
        ? `OK      ${result.artifact}: signed by ${result.signer}${result.issuer ? ` (${result.issuer})` : ''} at ${result.signedAt}${result.logIndex === undefined ? '' : `, log index ${result.logIndex}`}`
        : `FAILED  ${result.artifact}: ${result.error?.message} (${result.error?.code})`,
    ),
    { ok: exitCode === EXIT_CODES.OK, trust: trust.sources, warnings: trust.warnings, results, summary },
  )
  if (out.json) return
  for (const result of results)
    if (!result.ok)
      out.io.stderr.write(`certus: ${result.artifact}: ${result.error?.message} (${result.error?.code})\n`)
  if (results.length > 1) out.io.stderr.write(`certus: ${summary.line}\n`)
}

function describe(result: VerificationResult): Partial<VerifiedItem> {
  const entry = result.tlogEntries[0]
  const signer =
    result.signer.kind === 'certificate' ? result.signer.identity : `key sha256:${result.signer.keyId}`
  return {
    signer,
    ...(result.signer.kind === 'certificate' && result.signer.issuer ? { issuer: result.signer.issuer } : {}),
    signedAt: result.signedAt.toISOString(),
    ...(entry
      ? {
          logIndex: Number(entry.logIndex),
          uuid: entry.uuid,
          ...(entry.integratedTime
            ? { integratedTime: Math.floor(entry.integratedTime.getTime() / 1000) }
            : {}),
        }
      : {}),
  }
}
