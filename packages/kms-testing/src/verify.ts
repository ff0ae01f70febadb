import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import { createRequire } from 'node:module'
import { createSigner, type KeyProvider, type SignResult } from '@certus-trust/signer'
import { createMemoryStorage } from '@certus-trust/storage'
import { createTransparencyLog } from '@certus-trust/tlog'
import { bundleFromJSON } from '@sigstore/bundle'
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify'

// @sigstore/protobuf-specs is not our dependency; load it from @sigstore/verify's own tree.
const requireFromVerify = createRequire(createRequire(import.meta.url).resolve('@sigstore/verify'))
const { TrustedRoot } = requireFromVerify('@sigstore/protobuf-specs') as {
  TrustedRoot: { fromJSON(json: unknown): never }
}

/** What {@link signAndVerifyUpstream} produced, for further assertions. */
export interface SignedAndVerified {
  message: SignResult
  attestation: SignResult
}

/**
 * Signs an artifact and an attestation through `key` with the real signer, records both in the embedded log
 * (tlog over memory storage; `witness: 'none'` for RSA-PSS SPKIs, which the log refuses as Rekor does) and verifies
 * both bundles with upstream `@sigstore/verify` against the log's exported trusted root (an Ed25519 message
 * signature with node, see below). Throws on any failure.
 */
export async function signAndVerifyUpstream(
  key: KeyProvider,
  artifact: Buffer,
  options: { recordInLog?: boolean } = {},
): Promise<SignedAndVerified> {
  const record = options.recordInLog ?? true
  const storage = createMemoryStorage()
  const log = await createTransparencyLog({ storage, baseUrl: 'https://log.certus.test' })
  try {
    const signer = createSigner({ key, witness: record ? log : 'none' })
    const message = await signer.sign(artifact)
    const attestation = await signer.attest({
      artifact,
      name: 'artifact.bin',
      predicateType: 'https://certus.test/predicate/v1',
      predicate: { ok: true },
    })
    const publicKeyPem = await key.publicKey()
    const base64 = publicKeyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
    const hint = message.keyHint ?? ''
    const keys = {
      [hint]: { rawBytes: Buffer.from(base64, 'base64'), keyDetails: 0, validFor: { start: new Date(0) } },
    }
    const trustMaterial = toTrustMaterial(TrustedRoot.fromJSON(await log.exportTrustedRoot()), keys as never)
    const verifier = new Verifier(
      trustMaterial,
      record ? {} : { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 },
    )
    if (createPublicKey(publicKeyPem).asymmetricKeyType === 'ed25519') {
      // @sigstore/verify 4.x passes 'sha256' to crypto.verify for message signatures, which OpenSSL refuses for
      // Ed25519 (docs/decisions/0010-signer-design.md): check the pure signature over the artifact with node instead.
      const signature = Buffer.from(message.bundle.messageSignature?.signature ?? '', 'base64')
      if (!nodeVerify(null, artifact, createPublicKey(publicKeyPem), signature)) {
        throw new Error('the Ed25519 message signature does not verify')
      }
    } else {
      verifier.verify(toSignedEntity(bundleFromJSON(message.bundle), artifact), undefined)
    }
    verifier.verify(toSignedEntity(bundleFromJSON(attestation.bundle)), undefined)
    return { message, attestation }
  } finally {
    await log.close()
    await storage.close()
  }
}
