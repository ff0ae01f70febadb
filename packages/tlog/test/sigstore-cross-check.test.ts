import { createHash, createPublicKey, sign } from 'node:crypto'
import { createRequire } from 'node:module'
import { createEcdsaPresignatures, readEcdsaPresignatures } from '@certus-trust/core/signing'
import { toBundleTransparencyLogEntry } from '@certus-trust/log-protocol/entries'
import { createMemoryStorage } from '@certus-trust/storage'
import { bundleFromJSON } from '@sigstore/bundle'
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify'
import { beforeAll, describe, expect, it } from 'vitest'
import { createTransparencyLog, type TransparencyLog, type TrustedRootJson } from '../src/index.js'
import { dsseEntry, hashedRekordEntry, p256Signer } from './helpers.js'

// @sigstore/protobuf-specs is @sigstore/verify's own dependency; load the very copy it uses.
const requireFromVerify = createRequire(createRequire(import.meta.url).resolve('@sigstore/verify'))
const specs = requireFromVerify('@sigstore/protobuf-specs') as {
  TrustedRoot: { fromJSON(json: unknown): never }
  PublicKey: { fromJSON(json: unknown): never }
}

const KEY_HINT = 'certus-test-signer'

function buildBundle(
  entry: Awaited<ReturnType<TransparencyLog['createEntry']>>,
  digest: string,
  signature: Uint8Array,
) {
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint: KEY_HINT },
      tlogEntries: [toBundleTransparencyLogEntry(entry)],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: Buffer.from(digest, 'hex').toString('base64') },
      signature: Buffer.from(signature).toString('base64'),
    },
  }
}

function verifyUpstream(
  bundleJson: unknown,
  artifact: Uint8Array,
  trustedRoot: TrustedRootJson,
  signerPem: string,
): void {
  const signerKey = specs.PublicKey.fromJSON({
    rawBytes: createPublicKey(signerPem).export({ type: 'spki', format: 'der' }).toString('base64'),
    keyDetails: 'PKIX_ECDSA_P256_SHA_256',
    validFor: { start: '2000-01-01T00:00:00Z' },
  })
  const trust = toTrustMaterial(specs.TrustedRoot.fromJSON(trustedRoot), { [KEY_HINT]: signerKey })
  new Verifier(trust).verify(toSignedEntity(bundleFromJSON(bundleJson), Buffer.from(artifact)))
}

describe('upstream @sigstore/verify accepts bundles carrying this log’s entries', () => {
  let log: TransparencyLog
  let trustedRoot: TrustedRootJson
  let bundle: ReturnType<typeof buildBundle>
  let made: ReturnType<typeof hashedRekordEntry>

  beforeAll(async () => {
    log = await createTransparencyLog({
      storage: createMemoryStorage(),
      baseUrl: 'https://tlog.certus.example:8443',
    })
    // Some other entries first, so the proof is not trivially empty.
    await Promise.all(Array.from({ length: 6 }, () => log.createEntry(hashedRekordEntry().proposed)))
    made = hashedRekordEntry(p256Signer())
    const entry = await log.createEntry(made.proposed)
    await log.createEntry(hashedRekordEntry().proposed)
    trustedRoot = await log.exportTrustedRoot()
    bundle = buildBundle(entry, made.digest, made.signature)
  })

  it('verifies a bundle whose SET and checkpoint were finished from presignatures', async () => {
    const presignatures = readEcdsaPresignatures('ecdsa-p256', createEcdsaPresignatures('ecdsa-p256', 8))
    let taken = 0
    const presigned = await createTransparencyLog({
      storage: createMemoryStorage(),
      baseUrl: 'https://tlog.certus.example:8443',
      presignatures: {
        take: () => {
          const presignature = presignatures.pop()
          if (presignature) taken += 1
          return presignature
        },
      },
    })
    try {
      const signed = hashedRekordEntry(p256Signer())
      const entry = await presigned.createEntry(signed.proposed)
      // The size-0 checkpoint, then this batch's SET and checkpoint.
      expect(taken).toBe(3)
      verifyUpstream(
        buildBundle(entry, signed.digest, signed.signature),
        signed.artifact,
        await presigned.exportTrustedRoot(),
        signed.signer.publicKeyPem,
      )
    } finally {
      await presigned.close()
    }
  })

  it('verifies the bundle with the exported trusted root', () => {
    expect(bundle.verificationMaterial.tlogEntries[0]!.inclusionProof!.hashes.length).toBeGreaterThan(0)
    verifyUpstream(bundle, made.artifact, trustedRoot, made.signer.publicKeyPem)
  })

  it('verifies an entry fetched later (proof against a newer checkpoint)', async () => {
    await log.createEntry(hashedRekordEntry().proposed)
    const [id] = await log.searchIndex({ hash: made.digest })
    const later = await log.getEntryByUuid(id!)
    expect(later!.verification!.inclusionProof!.treeSize).toBeGreaterThan(
      Number(bundle.verificationMaterial.tlogEntries[0]!.inclusionProof!.treeSize),
    )
    verifyUpstream(
      buildBundle(later!, made.digest, made.signature),
      made.artifact,
      trustedRoot,
      made.signer.publicKeyPem,
    )
  })

  const tamperings: Array<[string, (copy: ReturnType<typeof buildBundle>) => void]> = [
    [
      'canonicalized body',
      (copy) => {
        const tle = copy.verificationMaterial.tlogEntries[0]!
        const body = JSON.parse(Buffer.from(tle.canonicalizedBody, 'base64').toString()) as {
          spec: { data: { hash: { value: string } } }
        }
        body.spec.data.hash.value = createHash('sha256').update('other').digest('hex')
        tle.canonicalizedBody = Buffer.from(JSON.stringify(body)).toString('base64')
      },
    ],
    [
      'signed entry timestamp',
      (copy) => {
        const promise = copy.verificationMaterial.tlogEntries[0]!.inclusionPromise!
        const bytes = Buffer.from(promise.signedEntryTimestamp, 'base64')
        bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1
        promise.signedEntryTimestamp = bytes.toString('base64')
      },
    ],
    [
      'integrated time',
      (copy) => {
        const tle = copy.verificationMaterial.tlogEntries[0]!
        tle.integratedTime = String(Number(tle.integratedTime) - 1)
      },
    ],
    [
      'log index',
      (copy) => {
        const tle = copy.verificationMaterial.tlogEntries[0]!
        tle.logIndex = String(Number(tle.logIndex) + 1)
      },
    ],
    [
      'inclusion proof hash',
      (copy) => {
        const proof = copy.verificationMaterial.tlogEntries[0]!.inclusionProof!
        const bytes = Buffer.from(proof.hashes[0]!, 'base64')
        bytes[0] = bytes[0]! ^ 1
        proof.hashes[0] = bytes.toString('base64')
      },
    ],
    [
      'inclusion proof index',
      (copy) => {
        const proof = copy.verificationMaterial.tlogEntries[0]!.inclusionProof!
        proof.logIndex = String(Number(proof.logIndex) + 1)
      },
    ],
    [
      'checkpoint root',
      (copy) => {
        const proof = copy.verificationMaterial.tlogEntries[0]!.inclusionProof!
        const lines = proof.checkpoint.envelope.split('\n')
        lines[2] = Buffer.alloc(32, 7).toString('base64')
        proof.checkpoint.envelope = lines.join('\n')
      },
    ],
    [
      'log ID',
      (copy) => {
        copy.verificationMaterial.tlogEntries[0]!.logId.keyId = Buffer.alloc(32, 1).toString('base64')
      },
    ],
    [
      'message signature',
      (copy) => {
        const other = sign('sha256', Buffer.from('something else'), made.signer.privateKey)
        copy.messageSignature.signature = other.toString('base64')
      },
    ],
  ]
  for (const [name, tamper] of tamperings) {
    it(`rejects the bundle when the ${name} is tampered with`, () => {
      const copy = structuredClone(bundle)
      tamper(copy)
      expect(() => verifyUpstream(copy, made.artifact, trustedRoot, made.signer.publicKeyPem)).toThrow()
    })
  }

  it('rejects the bundle under a trusted root naming another log or another base URL', async () => {
    const other = await createTransparencyLog({
      storage: createMemoryStorage(),
      baseUrl: 'https://tlog.certus.example:8443',
    })
    const otherRoot = await other.exportTrustedRoot()
    expect(() => verifyUpstream(bundle, made.artifact, otherRoot, made.signer.publicKeyPem)).toThrow()
    const renamed = structuredClone(trustedRoot)
    renamed.tlogs[0]!.baseUrl = 'https://elsewhere.example'
    expect(() => verifyUpstream(bundle, made.artifact, renamed, made.signer.publicKeyPem)).toThrow()
    await other.close()
  })

  it('verifies a DSSE entry body with upstream tlog checks after rotation (frozen shard validity)', async () => {
    const signer = p256Signer()
    const d = dsseEntry(signer)
    const entry = await log.createEntry(d.proposed)
    await log.rotateKey()
    const root = await log.exportTrustedRoot()
    expect(root.tlogs).toHaveLength(2)
    const envelope = JSON.parse(d.envelope) as {
      payload: string
      payloadType: string
      signatures: Array<{ sig: string; keyid: string }>
    }
    const dsseBundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {
        publicKey: { hint: KEY_HINT },
        tlogEntries: [toBundleTransparencyLogEntry((await log.getEntryByUuid(entry.uuid))!)],
        timestampVerificationData: { rfc3161Timestamps: [] },
      },
      dsseEnvelope: envelope,
    }
    verifyUpstream(dsseBundle, new Uint8Array(), root, signer.publicKeyPem)
  })

  it('verifies a bundle from a log with an Ed25519 key (PKIX_ED25519 in the trusted root)', async () => {
    const edLog = await createTransparencyLog({
      storage: createMemoryStorage(),
      keyAlgorithm: 'ed25519',
      baseUrl: 'https://ed.tlog.example',
    })
    await edLog.createEntry(hashedRekordEntry().proposed)
    const item = hashedRekordEntry(p256Signer())
    const entry = await edLog.createEntry(item.proposed)
    const root = await edLog.exportTrustedRoot()
    expect(root.tlogs[0]!.publicKey.keyDetails).toBe('PKIX_ED25519')
    verifyUpstream(
      buildBundle(entry, item.digest, item.signature),
      item.artifact,
      root,
      item.signer.publicKeyPem,
    )
    expect(() =>
      verifyUpstream(
        buildBundle(entry, item.digest, item.signature),
        item.artifact,
        trustedRoot,
        item.signer.publicKeyPem,
      ),
    ).toThrow()
    await edLog.close()
  })
})
