import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import type { EntryCreator } from '@certus-trust/log-protocol'
import type { ProposedEntry } from '@certus-trust/log-protocol/entries'
import { createMemoryStorage } from '@certus-trust/storage'
import { createTransparencyLog, type TransparencyLog } from '@certus-trust/tlog'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSigner, SignerError } from '../src/index.js'
import type { KeyAlgorithm } from '../src/keys.js'
import { clone, createTestLog, flipBase64, type Loose, trustedRootJson, verifyUpstream } from './helpers.js'

const keys: Record<KeyAlgorithm, KeyObject> = {
  'ecdsa-p256': generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  'ecdsa-p384': generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
  ed25519: generateKeyPairSync('ed25519').privateKey,
  'rsa-pkcs1v15': generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  'rsa-pss': generateKeyPairSync('rsa-pss', {
    modulusLength: 2048,
    hashAlgorithm: 'sha256',
    mgf1HashAlgorithm: 'sha256',
    saltLength: 32,
  } as never as { modulusLength: number }) /* @types/node types saltLength as string */.privateKey,
}
const artifact = Buffer.from('certus trust artifact\n'.repeat(10))

describe.each(Object.keys(keys) as KeyAlgorithm[])('key-based %s', (algorithm) => {
  // The real embedded log (@certus-trust/tlog over in-memory storage) is the witness: it checks each entry's
  // signature with @certus-trust/rekor (hashedrekord over the digest, DSSE over the PAE), P-384 and RSA-PSS
  // signatures included. Exception: tlog refuses keys whose SPKI is id-RSASSA-PSS (`rsa-pss` KeyObjects) with
  // TLOG_ENTRY_UNSUPPORTED — as Rekor does, whose Go x509 parser cannot read them (asserted below). For those the
  // in-process test log records instead; it runs the same canonicalizeProposedEntry, signature check included.
  const pssKeyType = algorithm === 'rsa-pss'
  const testLog = pssKeyType ? createTestLog() : undefined
  let storage: ReturnType<typeof createMemoryStorage>
  let log: TransparencyLog
  let rootJson: unknown
  const requests: Array<{ entry: ProposedEntry; artifact?: Uint8Array }> = []
  const recordIn = (entry: ProposedEntry, options: { artifact?: Uint8Array } = {}) =>
    testLog ? testLog.createEntry(entry, options) : log.createEntry(entry, options)
  const witness: EntryCreator = {
    createEntry(entry, options = {}) {
      requests.push({ entry, ...(options.artifact ? { artifact: options.artifact } : {}) })
      return recordIn(entry, options)
    },
  }
  const signer = createSigner({ key: keys[algorithm], witness })
  beforeAll(async () => {
    storage = createMemoryStorage()
    log = await createTransparencyLog({ storage, baseUrl: 'https://log.certus.test' })
    rootJson = testLog
      ? trustedRootJson({ tlogs: [{ baseUrl: testLog.baseUrl, publicKey: testLog.publicKey }] })
      : await log.exportTrustedRoot()
  })
  afterAll(async () => {
    await log?.close()
    await storage?.close()
  })

  it('the log checks the signatures it records: a tampered proposal is refused', async () => {
    const signatureInvalid = { code: testLog ? 'REKOR_SIGNATURE_INVALID' : 'TLOG_SIGNATURE_INVALID' }
    await signer.attest({
      subjects: [{ name: 'c.txt', digest: { sha256: 'cd'.repeat(32) } }],
      predicateType: 'https://example.com/p/v1',
      predicate: {},
    })
    const dsse = clone(requests.at(-1)!.entry) as Loose
    const envelope = JSON.parse(dsse.spec.proposedContent.envelope)
    envelope.signatures[0].sig = flipBase64(envelope.signatures[0].sig, 7)
    dsse.spec.proposedContent.envelope = JSON.stringify(envelope)
    await expect(recordIn(dsse as ProposedEntry)).rejects.toMatchObject(signatureInvalid)
    if (algorithm === 'ed25519') return // message signatures are pure Ed25519, checked against the artifact below
    await signer.sign(Buffer.from(`tamper check ${algorithm}`))
    const hashed = clone(requests.at(-1)!.entry) as Loose
    expect(hashed.kind).toBe('hashedrekord')
    hashed.spec.signature.content = flipBase64(hashed.spec.signature.content, 9)
    await expect(recordIn(hashed as ProposedEntry)).rejects.toMatchObject(signatureInvalid)
    // The untampered proposal passes the check: the embedded log then only finds the entry it already holds.
    const original = recordIn(requests.at(-1)!.entry)
    if (testLog) await expect(original).resolves.toMatchObject({ logIndex: expect.any(Number) })
    else await expect(original).rejects.toMatchObject({ code: 'TLOG_ENTRY_CONFLICT' })
  })

  if (pssKeyType) {
    it('the embedded log refuses id-RSASSA-PSS public keys with TLOG_ENTRY_UNSUPPORTED (as Rekor does)', async () => {
      const direct = createSigner({ key: keys[algorithm], witness: log })
      await expect(direct.sign(artifact)).rejects.toMatchObject({
        cause: { code: 'TLOG_ENTRY_UNSUPPORTED' },
      })
    })
  }

  it('DSSE attestation verifies upstream with the log in the trusted root, and tampering fails', async () => {
    const result = await signer.attest({
      subjects: [{ name: 'a.txt', digest: { sha256: 'ab'.repeat(32) } }],
      predicateType: 'https://example.com/p/v1',
      predicate: { ok: true },
    })
    const publicKeys = { [result.keyHint!]: result.publicKeyPem! }
    expect(result.bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json')
    expect(result.bundle.verificationMaterial.tlogEntries).toHaveLength(1)
    expect(result.bundle.verificationMaterial.tlogEntries[0]!.kindVersion).toEqual({
      kind: 'dsse',
      version: '0.0.1',
    })
    expect(() => verifyUpstream(result.bundle, undefined, { rootJson, publicKeys })).not.toThrow()

    const badSig = clone(result.bundle) as Loose
    badSig.dsseEnvelope.signatures[0].sig = flipBase64(badSig.dsseEnvelope.signatures[0].sig, 10)
    expect(() => verifyUpstream(badSig, undefined, { rootJson, publicKeys })).toThrow()
    const badPayload = clone(result.bundle) as Loose
    badPayload.dsseEnvelope.payload = Buffer.from(JSON.stringify({ tampered: true })).toString('base64')
    expect(() => verifyUpstream(badPayload, undefined, { rootJson, publicKeys })).toThrow()
    const badSet = clone(result.bundle) as Loose
    badSet.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp = flipBase64(
      badSet.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp,
      12,
    )
    expect(() => verifyUpstream(badSet, undefined, { rootJson, publicKeys })).toThrow()
    // Another key under the same hint must not verify.
    const otherPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString()
    expect(() =>
      verifyUpstream(result.bundle, undefined, { rootJson, publicKeys: { [result.keyHint!]: otherPem } }),
    ).toThrow()
  })

  it("witness 'none': message signature and DSSE verify upstream when no timestamp is required", async () => {
    const unlogged = createSigner({ key: keys[algorithm], witness: 'none' })
    const verifier = { tlogThreshold: 0, timestampThreshold: 0 }
    const attestation = await unlogged.attest({
      subjects: [{ name: 'n', digest: { sha256: '12'.repeat(32) } }],
      predicateType: 'https://example.com/p',
      predicate: {},
    })
    expect(attestation.bundle.verificationMaterial.tlogEntries).toEqual([])
    const publicKeys = { [attestation.keyHint!]: attestation.publicKeyPem! }
    expect(() => verifyUpstream(attestation.bundle, undefined, { publicKeys, verifier })).not.toThrow()
    const tampered = clone(attestation.bundle) as Loose
    tampered.dsseEnvelope.payloadType = 'text/plain'
    expect(() => verifyUpstream(tampered, undefined, { publicKeys, verifier })).toThrow()
    if (algorithm === 'ed25519') return // see the Ed25519 message-signature test below
    const message = await unlogged.sign(artifact)
    expect(() => verifyUpstream(message.bundle, artifact, { publicKeys, verifier })).not.toThrow()
    expect(() => verifyUpstream(message.bundle, artifact.subarray(1), { publicKeys, verifier })).toThrow()
  })

  if (algorithm === 'ed25519') {
    it('message signature is pure Ed25519 over the artifact; upstream @sigstore/verify 4.x cannot check it', async () => {
      const result = await signer.sign(artifact)
      const { verify, createPublicKey } = await import('node:crypto')
      const signature = Buffer.from((result.bundle as Loose).messageSignature.signature, 'base64')
      expect(verify(null, artifact, createPublicKey(result.publicKeyPem!), signature)).toBe(true)
      // The log received the artifact so it could check the pure signature.
      expect(Buffer.from(requests.at(-1)!.artifact!).equals(artifact)).toBe(true)
      // Documented limitation (docs/decisions/0010-signer-design.md): @sigstore/verify passes 'sha256' to crypto.verify for
      // message signatures, which OpenSSL refuses for Ed25519. If upstream fixes it, this assertion tells us.
      expect(() =>
        verifyUpstream(result.bundle, artifact, {
          rootJson,
          publicKeys: { [result.keyHint!]: result.publicKeyPem! },
        }),
      ).toThrow(/signature/i)
    })
    it('refuses to sign a bare digest with SIGNER_DIGEST_ONLY_UNSUPPORTED', async () => {
      await expect(signer.sign(`sha256:${'ab'.repeat(32)}`)).rejects.toMatchObject({
        code: 'SIGNER_DIGEST_ONLY_UNSUPPORTED',
      })
    })
    return
  }

  it('message signature over bytes verifies upstream; tampering fails', async () => {
    const result = await signer.sign(artifact)
    const publicKeys = { [result.keyHint!]: result.publicKeyPem! }
    expect(result.bundle.verificationMaterial.tlogEntries[0]!.kindVersion).toEqual({
      kind: 'hashedrekord',
      version: '0.0.1',
    })
    expect(() => verifyUpstream(result.bundle, artifact, { rootJson, publicKeys })).not.toThrow()
    expect(() =>
      verifyUpstream(result.bundle, Buffer.concat([artifact, Buffer.from('x')]), { rootJson, publicKeys }),
    ).toThrow()
    const badSig = clone(result.bundle) as Loose
    badSig.messageSignature.signature = flipBase64(badSig.messageSignature.signature, 20)
    expect(() => verifyUpstream(badSig, artifact, { rootJson, publicKeys })).toThrow()
    const badProof = clone(result.bundle) as Loose
    badProof.verificationMaterial.tlogEntries[0].canonicalizedBody = flipBase64(
      badProof.verificationMaterial.tlogEntries[0].canonicalizedBody,
      5,
    )
    expect(() => verifyUpstream(badProof, artifact, { rootJson, publicKeys })).toThrow()
    // A trusted root without our log must not accept the entry.
    expect(() => verifyUpstream(result.bundle, artifact, { root: { tlogs: [] }, publicKeys })).toThrow()
  })

  it('a bare sha256 digest (prehash signing) gives a bundle that verifies against the artifact', async () => {
    const { createHash } = await import('node:crypto')
    // Its own artifact: RSA PKCS#1 v1.5 is deterministic, and the log refuses a second copy of an entry.
    const artifact = Buffer.from('certus trust artifact signed by digest\n')
    const digest = `sha256:${createHash('sha256').update(artifact).digest('hex')}` as const
    const result = await signer.sign(digest)
    expect(result.digest).toBe(digest)
    expect(requests.at(-1)!.artifact).toBeUndefined()
    expect(() =>
      verifyUpstream(result.bundle, artifact, {
        rootJson,
        publicKeys: { [result.keyHint!]: result.publicKeyPem! },
      }),
    ).not.toThrow()
    expect(() =>
      verifyUpstream(result.bundle, Buffer.from('other'), {
        rootJson,
        publicKeys: { [result.keyHint!]: result.publicKeyPem! },
      }),
    ).toThrow()
  })
})

describe('witness none', () => {
  it('asks for it by name, produces no entries, and verifies only with zero thresholds', async () => {
    const signer = createSigner({ key: keys['ecdsa-p256'], witness: 'none' })
    const result = await signer.sign(artifact)
    expect(result.bundle.verificationMaterial.tlogEntries).toEqual([])
    expect(result.logEntries).toEqual([])
    const publicKeys = { [result.keyHint!]: result.publicKeyPem! }
    expect(() =>
      verifyUpstream(result.bundle, artifact, {
        publicKeys,
        verifier: { tlogThreshold: 0, timestampThreshold: 0 },
      }),
    ).not.toThrow()
    expect(() => verifyUpstream(result.bundle, artifact, { publicKeys })).toThrow()
    expect(() =>
      verifyUpstream(result.bundle, Buffer.from('x'), {
        publicKeys,
        verifier: { tlogThreshold: 0, timestampThreshold: 0 },
      }),
    ).toThrow()
  })
  it('rejects a missing witness or an empty witness list with SIGNER_WITNESS_REQUIRED', () => {
    expect(() => createSigner({ key: keys['ecdsa-p256'], witness: [] })).toThrowError(
      expect.objectContaining({ code: 'SIGNER_WITNESS_REQUIRED' }),
    )
    expect(() => createSigner({ key: keys['ecdsa-p256'] })).toThrowError(
      expect.objectContaining({ code: 'SIGNER_WITNESS_REQUIRED' }),
    )
    expect(
      SignerError.is(
        (() => {
          try {
            createSigner({ key: keys['ecdsa-p256'] })
          } catch (e) {
            return e
          }
        })(),
      ),
    ).toBe(true)
  })
})
