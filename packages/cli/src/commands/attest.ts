import { basename } from 'node:path'
import { loadOrCreatePrivateKey } from '../data-dir.js'
import { CliError } from '../errors.js'
import { checkInputFile, readJsonFile, resolvePath, writeOutputFile } from '../files.js'
import type { Output } from '../output.js'
import { choosePredicateType } from '../predicate-types.js'
import type { WitnessFlags } from '../remote.js'
import { chooseSigningIdentity, type SigningIdentityFlags } from '../signing-identity.js'
import { withWitness } from './sign.js'

export interface AttestOptions extends WitnessFlags, SigningIdentityFlags {
  predicate: string
  /** A URI or a cosign name; inferred from the predicate when absent. */
  predicateType?: string
  key?: string
  bundle?: string
  dataDir?: string
  json?: boolean
  /** Read the password of an encrypted `--key` from stdin (else `$CERTUS_PASSWORD`). */
  passwordStdin?: boolean
}

/**
 * `certus attest FILE --predicate P.json [--predicate-type URI] [--key KEY.pem] [--bundle OUT.json]`:
 * signs an in-toto Statement v1 whose subject is FILE, in a DSSE envelope, and records it in the log.
 */
export async function runAttest(file: string, options: AttestOptions, out: Output): Promise<number> {
  const path = resolvePath(out.io.cwd, file)
  await checkInputFile(path, 'file')
  const predicate = await readJsonFile(resolvePath(out.io.cwd, options.predicate), 'predicate')
  if (typeof predicate !== 'object' || predicate === null || Array.isArray(predicate)) {
    throw new CliError({
      code: 'CLI_INPUT_INVALID',
      message: `predicate ${options.predicate} must be a JSON object`,
    })
  }
  const { predicateType, source } = choosePredicateType(
    options.predicateType,
    predicate as Record<string, unknown>,
  )
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
    const result = await signer.attest({
      artifact: { path },
      name: basename(path),
      predicateType,
      predicate,
    })
    const bundlePath = options.bundle
      ? resolvePath(out.io.cwd, options.bundle)
      : `${path}.intoto.sigstore.json`
    await writeOutputFile(bundlePath, `${JSON.stringify(result.bundle, null, 2)}\n`, { what: 'bundle' })
    const entry = result.logEntries[0]
    out.result(
      `attested ${path} (${predicateType}${source === 'inferred' ? ', inferred from the predicate' : ''}) -> ${bundlePath}` +
        (entry ? ` (log index ${entry.logIndex}, entry ${entry.uuid})` : ''),
      {
        ok: true,
        file: path,
        bundle: bundlePath,
        predicateType,
        predicateTypeSource: source,
        payloadDigest: result.digest,
        ...(entry
          ? { logIndex: entry.logIndex, uuid: entry.uuid, integratedTime: entry.integratedTime }
          : {}),
      },
    )
    return 0
  })
}
