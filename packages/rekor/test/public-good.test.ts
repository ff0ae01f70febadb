import {
  type LogEntry,
  logIdFromPublicKey,
  parseCheckpoint,
  RekorError,
  verifyCheckpoint,
  verifySignedEntryTimestamp,
} from '@certus-trust/log-protocol'
import {
  buildDsseProposedEntry,
  buildHashedRekordProposedEntry,
  canonicalizeProposedEntry,
  fromBundleTransparencyLogEntry,
  toBundleTransparencyLogEntry,
  verifyEntry,
} from '@certus-trust/log-protocol/entries'
import { describe, expect, it } from 'vitest'
import {
  conformanceAssets,
  happyPathCases,
  type Json,
  publicGoodRekorKey,
  readConformanceBundle,
  warnSkipped,
} from './helpers.js'

if (!conformanceAssets) warnSkipped('real public-good Rekor entries')

function flipBase64Char(value: string, position: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const index = alphabet.indexOf(value[position]!)
  return value.slice(0, position) + alphabet[(index + 1) % 64] + value.slice(position + 1)
}

describe.skipIf(!conformanceAssets)('real public-good Rekor entries (conformance happy-path bundles)', () => {
  const key = publicGoodRekorKey()
  const cases = conformanceAssets ? happyPathCases() : []
  const bundles = new Map(cases.map((name) => [name, readConformanceBundle(name)]))
  const entries: Array<[string, LogEntry, Json]> = cases.flatMap((name) =>
    (bundles.get(name)!.verificationMaterial.tlogEntries as Array<Json>).map(
      (json) => [name, fromBundleTransparencyLogEntry(json), json] as [string, LogEntry, Json],
    ),
  )

  it('finds the happy-path bundles', () => {
    expect(cases.length).toBeGreaterThanOrEqual(4)
    expect(entries.length).toBeGreaterThanOrEqual(cases.length)
  })

  it('uses the rekor.sigstore.dev log ID', () => {
    for (const [, entry] of entries) expect(entry.logID).toBe(logIdFromPublicKey(key))
  })

  it.each(entries.map(([name, entry, json]) => [name, entry, json] as const))(
    '%s: SET, checkpoint, inclusion and body verify',
    async (name, entry, json) => {
      const bundle = bundles.get(name)!
      // The body must match the bundle's own content: the DSSE envelope, or the message digest and signature.
      const content = bundle.dsseEnvelope
        ? { envelope: JSON.stringify(bundle.dsseEnvelope) }
        : {
            expected: {
              digest: `sha256:${Buffer.from(bundle.messageSignature.messageDigest.digest, 'base64').toString('hex')}`,
              signature: new Uint8Array(Buffer.from(bundle.messageSignature.signature, 'base64')),
            },
          }
      const result = await verifyEntry(entry, {
        logKey: key,
        checkpointName: 'rekor.sigstore.dev',
        requireBoth: true,
        ...content,
      })
      expect(result.passed).toContain('expectedContent')
      expect(result.passed).toEqual(
        expect.arrayContaining([
          'uuid',
          'logId',
          'body',
          'signedEntryTimestamp',
          'checkpoint',
          'inclusionProof',
          'signature',
        ]),
      )
      // Round trip back to the bundle JSON shape, field for field.
      const back = toBundleTransparencyLogEntry(entry)
      expect(back).toEqual(json)
    },
  )

  it.each(entries.map(([name, entry]) => [name, entry] as const))(
    '%s: every tampered variant fails',
    async (_name, entry) => {
      const proof = entry.verification!.inclusionProof!
      const set = entry.verification!.signedEntryTimestamp!
      const variants: Array<[string, LogEntry, string]> = [
        ['integratedTime+1', { ...entry, integratedTime: entry.integratedTime + 1 }, 'REKOR_SET_INVALID'],
        ['logIndex+1', { ...entry, logIndex: entry.logIndex + 1 }, 'REKOR_SET_INVALID'],
        [
          'SET byte flipped',
          {
            ...entry,
            verification: { ...entry.verification, signedEntryTimestamp: flipBase64Char(set, 20) },
          },
          'REKOR_SET_INVALID',
        ],
        [
          'proof hash flipped',
          {
            ...entry,
            verification: {
              ...entry.verification,
              inclusionProof: { ...proof, hashes: [flipHex(proof.hashes[0]!), ...proof.hashes.slice(1)] },
            },
          },
          'REKOR_INCLUSION_PROOF_INVALID',
        ],
        [
          'proof index shifted',
          {
            ...entry,
            verification: {
              ...entry.verification,
              inclusionProof: { ...proof, logIndex: proof.logIndex - 1 },
            },
          },
          'REKOR_INCLUSION_PROOF_INVALID',
        ],
        [
          'proof hash dropped',
          {
            ...entry,
            verification: {
              ...entry.verification,
              inclusionProof: { ...proof, hashes: proof.hashes.slice(1) },
            },
          },
          'REKOR_INCLUSION_PROOF_INVALID',
        ],
        [
          'checkpoint size changed',
          {
            ...entry,
            verification: {
              ...entry.verification,
              inclusionProof: {
                ...proof,
                checkpoint: proof.checkpoint.replace(`\n${proof.treeSize}\n`, `\n${proof.treeSize + 1}\n`),
              },
            },
          },
          'REKOR_CHECKPOINT_SIGNATURE_INVALID',
        ],
      ]
      for (const [label, variant, code] of variants) {
        let caught: unknown
        try {
          await verifyEntry(variant, { logKey: key })
        } catch (error) {
          caught = error
        }
        expect(RekorError.is(caught), label).toBe(true)
        expect((caught as RekorError).code, label).toBe(code)
      }
      // A different body: the uuid no longer matches, and with a matching uuid the SET fails.
      const otherBody = Buffer.from(
        Buffer.from(entry.body, 'base64').toString('utf8').replace('"0.0.1"', '"0.0.2"'),
      ).toString('base64')
      await expect(verifyEntry({ ...entry, body: otherBody }, { logKey: key })).rejects.toThrowError(
        expect.objectContaining({ code: 'REKOR_ENTRY_INVALID' }),
      )
      expect(() => verifySignedEntryTimestamp({ ...entry, body: otherBody }, key)).toThrowError(
        expect.objectContaining({ code: 'REKOR_SET_INVALID' }),
      )
    },
  )

  it('parses the old checkpoint format with a Timestamp line (happy-path-v0.1)', () => {
    const entry = entries.find(([name]) => name === 'happy-path-v0.1')?.[1]
    expect(entry).toBeDefined()
    const checkpoint = verifyCheckpoint(entry!.verification!.inclusionProof!.checkpoint, { publicKey: key })
    expect(checkpoint.origin).toMatch(/^rekor\.sigstore\.dev - \d+$/)
    expect(checkpoint.otherContent.some((line) => line.startsWith('Timestamp: '))).toBe(true)
  })

  it('rejects a checkpoint whose signature line was re-hinted or whose text was altered', () => {
    const note = entries[0]![1].verification!.inclusionProof!.checkpoint
    const parsed = parseCheckpoint(note)
    expect(() =>
      verifyCheckpoint(
        { ...parsed, signedText: parsed.signedText.replace(/\n$/, ' \n') },
        { publicKey: key },
      ),
    ).toThrowError(expect.objectContaining({ code: 'REKOR_CHECKPOINT_SIGNATURE_INVALID' }))
    expect(() => verifyCheckpoint(note, { publicKey: key, name: 'rekor.example.com' })).toThrowError(
      expect.objectContaining({ code: 'REKOR_CHECKPOINT_SIGNATURE_INVALID' }),
    )
  })
})

function flipHex(hex: string): string {
  return (hex[0] === '0' ? '1' : '0') + hex.slice(1)
}

describe.skipIf(!conformanceAssets)(
  'conformance failure cases: the tampered tlog entries are rejected',
  () => {
    const key = publicGoodRekorKey()
    it.each([
      ['checkpoint-bad-keyhint_fail', 'REKOR_CHECKPOINT_SIGNATURE_INVALID'],
      ['checkpoint-wrong-roothash_fail', 'REKOR_INCLUSION_PROOF_INVALID'],
      ['inclusion-proof-corrupted-hash_fail', 'REKOR_INCLUSION_PROOF_INVALID'],
      ['invalid-inclusion-proof_fail', 'REKOR_ENTRY_INVALID'],
      ['set-invalid-signature_fail', 'REKOR_SET_INVALID'],
      ['invalid-checkpoint-signature_fail', 'REKOR_CHECKPOINT_SIGNATURE_INVALID'],
      ['bundle-negative-log-index_fail', 'REKOR_ENTRY_INVALID'],
    ])('%s → %s', async (name, code) => {
      const bundle = readConformanceBundle(name)
      await expect(
        (async () =>
          verifyEntry(fromBundleTransparencyLogEntry(bundle.verificationMaterial.tlogEntries[0]), {
            logKey: key,
          }))(),
      ).rejects.toThrowError(expect.objectContaining({ code }))
    })

    it('wrong-hashedrekord-entry_fail: a valid entry that records another signature than the bundle', async () => {
      const bundle = readConformanceBundle('wrong-hashedrekord-entry_fail')
      const entry = fromBundleTransparencyLogEntry(bundle.verificationMaterial.tlogEntries[0])
      expect((await verifyEntry(entry, { logKey: key })).passed).toContain('inclusionProof')
      const expected = {
        digest: `sha256:${Buffer.from(bundle.messageSignature.messageDigest.digest, 'base64').toString('hex')}`,
        signature: new Uint8Array(Buffer.from(bundle.messageSignature.signature, 'base64')),
      }
      await expect(verifyEntry(entry, { logKey: key, expected })).rejects.toThrowError(
        expect.objectContaining({
          code: 'REKOR_BODY_MISMATCH',
          details: expect.objectContaining({ check: 'expectedContent' }),
        }),
      )
    })
  },
)

describe.skipIf(!conformanceAssets)('canonical bodies reproduce real Rekor bytes', () => {
  const certificatePem = (der: string) =>
    `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`

  it('hashedrekord (happy-path-v0.3): same canonical body, hence same leaf hash', async () => {
    const bundle = readConformanceBundle('happy-path-v0.3')
    const proposed = buildHashedRekordProposedEntry({
      digest: Buffer.from(bundle.messageSignature.messageDigest.digest, 'base64').toString('hex'),
      signature: new Uint8Array(Buffer.from(bundle.messageSignature.signature, 'base64')),
      // Deliberately not Go's layout (one long line): canonicalization must re-wrap it the way Rekor does.
      certificatePem: `-----BEGIN CERTIFICATE-----\n${bundle.verificationMaterial.certificate.rawBytes}\n-----END CERTIFICATE-----`,
    })
    expect(Buffer.from(await canonicalizeProposedEntry(proposed)).toString('base64')).toBe(
      bundle.verificationMaterial.tlogEntries[0].canonicalizedBody,
    )
  })

  it('dsse (happy-path-intoto-in-dsse-v3): same canonical body, envelope hash included', async () => {
    const bundle = readConformanceBundle('happy-path-intoto-in-dsse-v3')
    const proposed = buildDsseProposedEntry({
      envelope: JSON.stringify(bundle.dsseEnvelope),
      verifiers: [certificatePem(bundle.verificationMaterial.certificate.rawBytes)],
    })
    expect(Buffer.from(await canonicalizeProposedEntry(proposed)).toString('base64')).toBe(
      bundle.verificationMaterial.tlogEntries[0].canonicalizedBody,
    )
  })
})
