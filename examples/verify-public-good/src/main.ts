/**
 * Verify a real public-good Sigstore bundle offline, against the production trusted root that ships
 * with the SDK (no TUF fetch, no network): keyless signature, Fulcio certificate chain, SCT, Rekor entry,
 * identity and issuer policy.
 *
 * The bundle and its artifact are vendored in `assets/` from the public Sigstore conformance suite's
 * `happy-path-v0.3` case (Apache-2.0; see assets/ORIGIN.md). From this folder: `pnpm start`.
 */
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createVerifier, VerifierError } from '@certus-trust/verifier'

/** The vendored bundle and artifact, resolved from this file so the example runs from any directory. */
export const ASSETS = join(dirname(fileURLToPath(import.meta.url)), '..', 'assets')

/** Who signed the conformance bundles: the sigstore-conformance GitHub Actions workflow. */
const IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
const ISSUER = 'https://token.actions.githubusercontent.com'

export async function main(
  assets: string = ASSETS,
  print: (line: string) => void = console.log,
): Promise<void> {
  const bundle = await readFile(join(assets, 'bundle.sigstore.json'), 'utf8')
  const artifact = await readFile(join(assets, 'a.txt'))

  // No trustedRoot option: the embedded public-good production root is used, offline.
  const verifier = createVerifier()
  const result = await verifier.verify(bundle, artifact, { identity: IDENTITY, issuer: ISSUER })
  if (result.signer.kind !== 'certificate') throw new Error('expected a keyless (certificate) signer')
  print(`verified: signed by ${result.signer.identity}`)
  print(`  issuer:     ${result.signer.issuer}`)
  print(`  signed at:  ${result.signedAt.toISOString()}`)
  print(`  log entry:  ${result.tlogEntries[0]?.baseUrl} index ${result.tlogEntries[0]?.logIndex}`)
  print(`  checks:     ${result.checks.join(', ')}`)

  // The same bundle under a policy naming someone else is rejected.
  try {
    await verifier.verify(bundle, artifact, {
      identity: 'https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main',
      issuer: ISSUER,
    })
    throw new Error('a bundle verified for the wrong identity — this must never happen')
  } catch (error) {
    if (!VerifierError.is(error)) throw error
    print(`wrong identity rejected: ${error.code}`)
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error)
    process.exitCode = 1
  })
}
