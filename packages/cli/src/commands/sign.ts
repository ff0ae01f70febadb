import { basename } from 'node:path'
import type { SignResult } from '@certus-trust/signer'
import { loadOrCreatePrivateKey, openDataDir, openEmbeddedLog } from '../data-dir.js'
import { CliError } from '../errors.js'
import { checkInputFile, resolvePath, writeOutputFile } from '../files.js'
import type { Output } from '../output.js'
import { reportItemError } from '../output.js'
import { createProgress } from '../progress.js'
import { openRemoteWitnesses, type WitnessFlags } from '../remote.js'
import { chooseSigningIdentity, type SigningIdentityFlags } from '../signing-identity.js'
import { batchSummary } from '../summary.js'

export interface SignOptions extends WitnessFlags, SigningIdentityFlags {
  bundle?: string
  dataDir?: string
  json?: boolean
}

/** What `sign` reports per file. */
interface SignedFile {
  file: string
  ok: boolean
  bundle?: string
  digest?: string
  error?: { code: string; message: string }
  logIndex?: number
  uuid?: string
  integratedTime?: number
}

/**
 * `certus sign FILE... [--key KEY.pem] [--bundle OUT.json] [--data-dir DIR | --rekor-url URL [--tsa-url URL] |
 * --signing-config FILE] [--rekor-version 1|2]`:
 * signs each file, records the signature in the transparency log and writes one bundle per file.
 * Every file is attempted; the exit status is that of the first failure.
 */
export async function runSign(files: string[], options: SignOptions, out: Output): Promise<number> {
  if (files.length === 0) throw new CliError({ code: 'CLI_USAGE', message: 'name at least one file to sign' })
  if (files.length > 1 && options.bundle) {
    throw new CliError({
      code: 'CLI_USAGE',
      message: '--bundle names one output: use it with one file (default: <file>.sigstore.json)',
    })
  }
  const paths = files.map((file) => resolvePath(out.io.cwd, file))
  // Check every input before anything is signed or recorded.
  for (const path of paths) await checkInputFile(path, 'file')
  const identity = await chooseSigningIdentity(out, options)

  return withWitness(out, options, async (witness, defaultKeyPath, ownSignatures) => {
    const { createSigner } = await import('@certus-trust/signer')
    const signer = createSigner(
      identity.kind === 'keyless'
        ? { keyless: identity.keyless, witness }
        : {
            key: identity.key ?? (await loadOrCreatePrivateKey(defaultKeyPath as string)).pem,
            witness,
            ...(ownSignatures ? { ownSignatures } : {}),
          },
    )
    const progress = await createProgress(out, paths.length, 'signing')
    const results: SignedFile[] = []
    let exitCode = 0
    try {
      const batch = await signer.signBatch(
        paths.map((path) => ({ path })),
        { concurrency: 4, onProgress: ({ index }) => progress.tick(basename(paths[index] as string)) },
      )
      for (const item of batch) {
        const path = paths[item.index] as string
        if (!item.ok) {
          exitCode ||= reportItemError(out, path, item.error)
          results.push({
            file: path,
            ok: false,
            error: { code: item.error.code, message: item.error.message },
          })
          continue
        }
        const bundlePath = options.bundle ? resolvePath(out.io.cwd, options.bundle) : `${path}.sigstore.json`
        await writeOutputFile(bundlePath, `${JSON.stringify(item.result.bundle, null, 2)}\n`, {
          what: 'bundle',
        })
        results.push(describe(path, bundlePath, item.result))
      }
    } finally {
      progress.stop()
    }
    reportSigned(out, results, exitCode)
    return exitCode
  })
}

/** Prints the per-file results, and for a batch the closing "N signed / M failed" summary. */
function reportSigned(out: Output, results: SignedFile[], exitCode: number): void {
  const summary = batchSummary(results.length, results.filter((result) => !result.ok).length, 'signed')
  out.result(
    results.map((result) =>
      result.ok
        ? `signed ${result.file} -> ${result.bundle}` +
          (result.logIndex === undefined ? '' : ` (log index ${result.logIndex}, entry ${result.uuid})`)
        : `FAILED ${result.file}: ${result.error?.message} (${result.error?.code})`,
    ),
    { ok: exitCode === 0, results, summary },
  )
  if (!out.json && results.length > 1) out.io.stderr.write(`certus: ${summary.line}\n`)
}

function describe(file: string, bundle: string, result: SignResult): SignedFile {
  const entry = result.logEntries[0]
  return {
    file,
    ok: true,
    bundle,
    digest: result.digest,
    ...(entry ? { logIndex: entry.logIndex, uuid: entry.uuid, integratedTime: entry.integratedTime } : {}),
  }
}

/**
 * Runs `fn` with the witnesses the options name — a remote Rekor v1/v2 (`--rekor-url`, `--rekor-version`,
 * `--tsa-url`), the services of a SigningConfig (`--signing-config`), or the data directory's embedded log — and
 * closes them afterwards. `fn` also gets the data directory's default key path.
 * @internal shared by sign and attest
 */
export async function withWitness<T>(
  out: Output,
  options: WitnessFlags & { dataDir?: string },
  fn: (
    witness: import('@certus-trust/signer').WitnessOption,
    defaultKeyPath: string | undefined,
    /** With the embedded log: its ledger of this process's own signatures, for the signer (the internal path). */
    ownSignatures?: import('@certus-trust/log-protocol/entries').OwnSignatures,
  ) => Promise<T>,
): Promise<T> {
  const remote = await openRemoteWitnesses(out.io.cwd, options)
  if (remote) {
    // With remote services the data directory only supplies the default signing key.
    const dataDir = await openDataDir(out.io.cwd, options.dataDir, true)
    try {
      return await fn(remote, dataDir.signingKeyPath)
    } finally {
      await dataDir.release()
    }
  }
  const embedded = await openEmbeddedLog(out.io, options.dataDir, true)
  try {
    const result = await fn(embedded.log, embedded.dataDir.signingKeyPath, embedded.ownSignatures)
    // Keep the log's current trusted root next to it, so `certus verify` in this directory needs no flags. Written
    // while the log closes: the write waits on the file system, closing works on this thread (a SQLite checkpoint).
    const trustedRoot = await embedded.log.exportTrustedRoot()
    await Promise.all([
      writeOutputFile(embedded.dataDir.trustedRootPath, `${JSON.stringify(trustedRoot, null, 2)}\n`, {
        what: 'trusted root',
      }),
      embedded.close(),
    ])
    return result
  } finally {
    // Idempotent: after the success path above this only waits for the same close.
    await embedded.close()
  }
}
