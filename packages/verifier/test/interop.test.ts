// End to end with the rest of the SDK: bundles produced by @certus-trust/signer, witnessed by the embedded
// @certus-trust/tlog log, verified with the root that log exports. Those packages are not dependencies of the
// verifier (the import rules point the other way), so they are loaded through the workspace vitest aliases with
// untyped dynamic imports; the assertions below pin the shapes this test relies on.
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier, type Verifier } from '../src/index.js'

const artifact = Buffer.from('artifact signed by @certus-trust/signer\n')
const digest = `sha256:${createHash('sha256').update(artifact).digest('hex')}` as const
// biome-ignore lint/suspicious/noExplicitAny: untyped cross-package test imports (see above)
type Loose = any
let sign: Loose
let attest: Loose
let log: Loose
let storage: Loose
let verifier: Verifier

beforeAll(async () => {
  ;({ sign, attest } = await import('@certus-trust/signer' as string))
  const { createMemoryStorage } = await import('@certus-trust/storage' as string)
  const { createTransparencyLog } = await import('@certus-trust/tlog' as string)
  storage = createMemoryStorage()
  log = await createTransparencyLog({ storage, baseUrl: 'https://tlog.interop.test' })
  verifier = createVerifier({ trustedRoot: await log.exportTrustedRoot() })
})
afterAll(async () => {
  await log?.close()
  await storage?.close()
})

function keyPair(type: 'ec' | 'ed25519'): { privateKey: KeyObject; publicKey: KeyObject } {
  return type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')
}

describe('bundles from @certus-trust/signer witnessed by the embedded log', () => {
  it('ECDSA P-256 message signature verifies with the key, as bytes and as a digest', async () => {
    const { privateKey, publicKey } = keyPair('ec')
    const { bundle } = await sign(artifact, { key: privateKey, witness: log })
    const result = await verifier.verify(bundle, artifact, { publicKey })
    expect(result.signer.kind).toBe('publicKey')
    expect(result.tlogEntries[0]!.verifiedBy).toEqual(['signed-entry-timestamp', 'inclusion-proof'])
    await expect(verifier.verify(bundle, digest, { publicKey })).resolves.toMatchObject({
      artifact: { sha256: digest },
    })
    const other = keyPair('ec').publicKey
    await expect(verifier.verify(bundle, artifact, { publicKey: other })).rejects.toMatchObject({
      code: 'VERIFIER_SIGNATURE_MISMATCH',
    })
  })

  it('Ed25519 message signature verifies with the artifact bytes', async () => {
    const { privateKey, publicKey } = keyPair('ed25519')
    const { bundle } = await sign(artifact, { key: privateKey, witness: log })
    await expect(verifier.verify(bundle, artifact, { publicKey })).resolves.toMatchObject({
      signer: { kind: 'publicKey' },
    })
    await expect(verifier.verify(bundle, digest, { publicKey })).rejects.toMatchObject({
      code: 'VERIFIER_UNSUPPORTED',
    })
  })

  it('an attestation (DSSE in-toto) verifies for its subject', async () => {
    const { privateKey, publicKey } = keyPair('ec')
    const { bundle } = await attest(
      {
        artifact,
        name: 'artifact.txt',
        predicateType: 'https://example.com/predicate/v1',
        predicate: { ok: true },
      },
      { key: privateKey, witness: log },
    )
    const result = await verifier.verify(bundle, digest, { publicKey })
    expect(result.statement?.predicateType).toBe('https://example.com/predicate/v1')
    await expect(
      verifier.verify(bundle, Buffer.from('not the subject'), { publicKey }),
    ).rejects.toMatchObject({ code: 'VERIFIER_ARTIFACT_MISMATCH' })
  })
})
