import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { toHex } from '@certus-trust/core'
import { describe, expect, it } from 'vitest'
import { fromBundleTransparencyLogEntry, toBundleTransparencyLogEntry } from './bundle.js'
import { signCheckpoint } from './checkpoint.js'
import { buildHashedRekordProposedEntry, canonicalizeProposedEntry } from './entry-body.js'
import { RekorError } from './errors.js'
import { logIdFromPublicKey } from './keys.js'
import type { LogEntry } from './log-entry.js'
import { hashChildren, hashLeaf } from './merkle.js'
import { signSignedEntryTimestamp } from './signed-entry-timestamp.js'
import { verifyEntry } from './verify-entry.js'

const log = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const signerPem = signer.publicKey.export({ type: 'spki', format: 'pem' }).toString()
const artifact = new TextEncoder().encode('verify me')

/** A 2-leaf log whose second leaf is our entry: proof = [leaf hash of the first body]. */
async function buildEntry(): Promise<LogEntry> {
  const digest = `sha256:${createHash('sha256').update(artifact).digest('hex')}`
  const body = await canonicalizeProposedEntry(
    buildHashedRekordProposedEntry({
      digest,
      signature: new Uint8Array(sign('sha256', artifact, signer.privateKey)),
      publicKeyPem: signerPem,
    }),
  )
  const sibling = hashLeaf(new TextEncoder().encode('first'))
  const leaf = hashLeaf(body)
  const root = hashChildren(sibling, leaf)
  const fields = {
    body: Buffer.from(body).toString('base64'),
    integratedTime: 1_700_000_000,
    logID: logIdFromPublicKey(log.publicKey),
    logIndex: 101,
  }
  return {
    uuid: `0000000000000001${toHex(leaf)}`,
    ...fields,
    verification: {
      signedEntryTimestamp: Buffer.from(signSignedEntryTimestamp(fields, log.privateKey)).toString('base64'),
      inclusionProof: {
        logIndex: 1,
        rootHash: toHex(root),
        treeSize: 2,
        hashes: [toHex(sibling)],
        checkpoint: signCheckpoint(
          { origin: 'log.test - 1', treeSize: 2, rootHash: root },
          { name: 'log.test', privateKey: log.privateKey },
        ),
      },
    },
  }
}

async function failedCheck(
  entry: LogEntry,
  options: Partial<Parameters<typeof verifyEntry>[1]> = {},
): Promise<{ check: unknown; code: string }> {
  try {
    await verifyEntry(entry, { logKey: log.publicKey, ...options })
  } catch (error) {
    if (!RekorError.is(error)) throw error
    return { check: error.details.check, code: error.code }
  }
  throw new Error('verifyEntry did not fail')
}

const entry = await buildEntry()

describe('verifyEntry', () => {
  const proof = entry.verification!.inclusionProof!

  it('passes every check on a good entry and reports what it skipped', async () => {
    const result = await verifyEntry(entry, {
      logKey: log.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      artifact,
      checkpointName: 'log.test',
    })
    expect(result.passed).toEqual([
      'uuid',
      'logId',
      'body',
      'signedEntryTimestamp',
      'checkpoint',
      'inclusionProof',
      'artifact',
      'signature',
    ])
    expect(result.skipped).toEqual(['expectedContent'])
    expect(result.checkpoint?.treeSize).toBe(2n)
  })

  it('works with only a SET or only a proof, but not with neither', async () => {
    expect(
      (
        await verifyEntry(
          { ...entry, verification: { signedEntryTimestamp: entry.verification!.signedEntryTimestamp! } },
          { logKey: log.publicKey },
        )
      ).skipped,
    ).toContain('inclusionProof')
    expect(
      (await verifyEntry({ ...entry, verification: { inclusionProof: proof } }, { logKey: log.publicKey }))
        .skipped,
    ).toContain('signedEntryTimestamp')
    expect((await failedCheck({ ...entry, verification: {} })).code).toBe('REKOR_ENTRY_INVALID')
    expect(
      (await failedCheck({ ...entry, verification: { inclusionProof: proof } }, { requireBoth: true })).code,
    ).toBe('REKOR_ENTRY_INVALID')
  })

  it.each([
    ['uuid', { ...entry, uuid: 'ff'.repeat(32) }, {}, 'REKOR_ENTRY_INVALID'],
    ['logId', { ...entry, logID: 'ab'.repeat(32) }, {}, 'REKOR_ENTRY_INVALID'],
    ['signedEntryTimestamp', { ...entry, integratedTime: 1 }, {}, 'REKOR_SET_INVALID'],
    ['checkpoint', entry, { checkpointName: 'other.test' }, 'REKOR_CHECKPOINT_SIGNATURE_INVALID'],
    [
      'inclusionProof',
      {
        ...entry,
        verification: { ...entry.verification, inclusionProof: { ...proof, hashes: ['00'.repeat(32)] } },
      },
      {},
      'REKOR_INCLUSION_PROOF_INVALID',
    ],
    [
      'inclusionProof',
      { ...entry, verification: { ...entry.verification, inclusionProof: { ...proof, treeSize: 3 } } },
      {},
      'REKOR_INCLUSION_PROOF_INVALID',
    ],
    [
      'inclusionProof',
      { ...entry, verification: { ...entry.verification, inclusionProof: { ...proof, logIndex: 0 } } },
      {},
      'REKOR_INCLUSION_PROOF_INVALID',
    ],
    ['artifact', entry, { artifact: new TextEncoder().encode('other') }, 'REKOR_BODY_MISMATCH'],
    ['expectedContent', entry, { expected: { signature: new Uint8Array([1, 2, 3]) } }, 'REKOR_BODY_MISMATCH'],
  ] as const)('names the failed check: %s', async (check, variant, options, code) => {
    expect(await failedCheck(variant as LogEntry, options as never)).toEqual({ check, code })
  })

  it('round-trips through the bundle TransparencyLogEntry JSON', () => {
    const json = toBundleTransparencyLogEntry(entry)
    expect(json).toMatchObject({
      logIndex: '101',
      logId: { keyId: Buffer.from(entry.logID, 'hex').toString('base64') },
      kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
      integratedTime: '1700000000',
      inclusionPromise: { signedEntryTimestamp: entry.verification!.signedEntryTimestamp },
      inclusionProof: { logIndex: '1', treeSize: '2', checkpoint: { envelope: proof.checkpoint } },
      canonicalizedBody: entry.body,
    })
    const back = fromBundleTransparencyLogEntry(JSON.parse(JSON.stringify(json)))
    // The bundle has no tree ID, so the uuid comes back as the 64-hex leaf hash.
    expect(back).toEqual({ ...entry, uuid: entry.uuid.slice(16) })
    expect(() => fromBundleTransparencyLogEntry({ ...json, logIndex: '-1' })).toThrowError(
      expect.objectContaining({ code: 'REKOR_ENTRY_INVALID', details: { field: 'logIndex' } }),
    )
    expect(() => fromBundleTransparencyLogEntry({ ...json, canonicalizedBody: '%%' })).toThrowError(
      expect.objectContaining({ code: 'REKOR_ENTRY_INVALID' }),
    )
  })
})
