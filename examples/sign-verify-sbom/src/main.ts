/**
 * Sign and verify a CycloneDX SBOM in-process, with embedded defaults: an in-memory transparency log,
 * a freshly generated ECDSA P-256 key, no server and no network.
 *
 *   pnpm --filter @example/sign-verify-sbom start
 */
import { createHash } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { createSigner, generateKeyPair } from '@certus-trust/signer'
import { cycloneDxStatement } from '@certus-trust/signer/in-toto'
import { createMemoryStorage } from '@certus-trust/storage'
import { createTransparencyLog } from '@certus-trust/tlog'
import { createVerifier, VerifierError } from '@certus-trust/verifier'

export async function main(print: (line: string) => void = console.log): Promise<void> {
  // 1. The embedded transparency log (in memory here; use @certus-trust/storage-postgres to keep it).
  const storage = createMemoryStorage()
  const log = await createTransparencyLog({ storage })

  // 2. A signing key and a signer whose witness is the log.
  const { privateKey, publicKey } = await generateKeyPair({ algorithm: 'ecdsa-p256' })
  const signer = createSigner({ key: privateKey, witness: log })

  // 3. The artifact and its SBOM.
  const app = Buffer.from('#!/bin/sh\necho "hello from my-app 1.0.0"\n')
  const sbom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
    version: 1,
    metadata: { component: { type: 'application', name: 'my-app', version: '1.0.0' } },
    components: [
      { type: 'library', name: 'left-pad', version: '1.3.0', purl: 'pkg:npm/left-pad@1.3.0' },
      { type: 'library', name: 'zod', version: '4.6.7', purl: 'pkg:npm/zod@4.6.7' },
    ],
  }
  const sbomBytes = Buffer.from(JSON.stringify(sbom, null, 2))

  // 4a. Sign the SBOM file itself (a message signature over its bytes)...
  const signedSbom = await signer.sign(sbomBytes)
  print(`signed SBOM ${signedSbom.digest} (log index ${signedSbom.logEntries[0]?.logIndex})`)

  // 4b. ...and attest that the SBOM describes the app (an in-toto statement in a DSSE envelope).
  const appDigest = createHash('sha256').update(app).digest('hex')
  const attestation = await signer.attest(
    cycloneDxStatement([{ name: 'my-app', digest: { sha256: appDigest } }], sbom),
  )
  print(`attested SBOM for my-app sha256:${appDigest} (log index ${attestation.logEntries[0]?.logIndex})`)

  // 5. Verify both against the log's trusted root and the expected key. Everything is offline.
  const verifier = createVerifier({ trustedRoot: await log.exportTrustedRoot() })
  const sbomResult = await verifier.verify(signedSbom.bundle, sbomBytes, { publicKey })
  print(
    `verified SBOM signature: signed by key ${sbomResult.signer.kind === 'publicKey' ? sbomResult.signer.keyId.slice(0, 16) : '?'}… at ${sbomResult.signedAt.toISOString()}`,
  )
  const attestationResult = await verifier.verify(attestation.bundle, app, { publicKey })
  print(
    `verified SBOM attestation: predicate ${attestationResult.statement?.predicateType}, subject ${attestationResult.statement?.subjects[0]?.name}`,
  )

  // 6. A changed SBOM is rejected with a typed error naming the failed check.
  const tampered = Buffer.from(sbomBytes.toString().replace('1.3.0', '1.3.1'))
  try {
    await verifier.verify(signedSbom.bundle, tampered, { publicKey })
    throw new Error('a tampered SBOM verified — this must never happen')
  } catch (error) {
    if (!VerifierError.is(error)) throw error
    print(`tampered SBOM rejected: ${error.code}`)
  }

  await log.close()
  await storage.close()
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error)
    process.exitCode = 1
  })
}
