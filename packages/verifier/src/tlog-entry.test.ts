import { createHash, generateKeyPairSync } from 'node:crypto'
import {
  RekorError,
  rootFromInclusionProof,
  signCheckpoint,
  signSignedEntryTimestamp,
} from '@certus-trust/log-protocol'
import { describe, expect, it } from 'vitest'
import type { TlogEntry } from './bundle.js'
import { verifyInclusion, verifyTlogEntry } from './tlog-entry.js'
import type { TrustedLog } from './trust-root.js'
import type { VerificationCheck } from './verifier.js'

// Independent RFC 6962 tree helpers (not rekor's), so the proofs below are not checked against themselves.
const leafHash = (data: Uint8Array) => createHash('sha256').update(Uint8Array.of(0)).update(data).digest()
const node = (left: Uint8Array, right: Uint8Array) =>
  createHash('sha256').update(Uint8Array.of(1)).update(left).update(right).digest()
function split(n: number) {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}
function root(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!
  const k = split(leaves.length)
  return node(root(leaves.slice(0, k)), root(leaves.slice(k)))
}
function path(index: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return []
  const k = split(leaves.length)
  return index < k
    ? [...path(index, leaves.slice(0, k)), root(leaves.slice(k))]
    : [...path(index - k, leaves.slice(k)), root(leaves.slice(0, k))]
}

describe('RFC 6962 inclusion proofs (rekor’s check behind the verifier’s error code)', () => {
  const leaves = Array.from({ length: 21 }, (_, index) => leafHash(Buffer.from(`leaf ${index}`)))

  it('accepts the audit path of every leaf of trees of size 1..21, agreeing with @certus-trust/rekor', () => {
    for (let size = 1; size <= leaves.length; size++) {
      const tree = leaves.slice(0, size)
      const treeRoot = root(tree)
      for (let index = 0; index < size; index++) {
        const proof = path(index, tree)
        expect(() =>
          verifyInclusion(BigInt(index), BigInt(size), tree[index]!, proof, treeRoot),
        ).not.toThrow()
        expect(
          Buffer.from(
            rootFromInclusionProof({ leafIndex: index, treeSize: size, leafHash: tree[index]!, proof }),
          ),
        ).toEqual(Buffer.from(treeRoot))
      }
    }
  })

  it('rejects wrong index, size, leaf, root, and extra or missing hashes with VERIFIER_INCLUSION_PROOF_INVALID', () => {
    const tree = leaves.slice(0, 13)
    const treeRoot = root(tree)
    const proof = path(6, tree)
    const bad: Array<() => void> = [
      () => verifyInclusion(5n, 13n, tree[6]!, proof, treeRoot),
      // (A size with the same path shape would pass: the checkpoint binds the size to the root.)
      () => verifyInclusion(6n, 17n, tree[6]!, proof, treeRoot),
      () => verifyInclusion(6n, 13n, tree[5]!, proof, treeRoot),
      () => verifyInclusion(6n, 13n, tree[6]!, proof, tree[0]!),
      () => verifyInclusion(6n, 13n, tree[6]!, [...proof, tree[0]!], treeRoot),
      () => verifyInclusion(6n, 13n, tree[6]!, proof.slice(1), treeRoot),
      () => verifyInclusion(13n, 13n, tree[6]!, proof, treeRoot),
      () => verifyInclusion(-1n, 13n, tree[6]!, proof, treeRoot),
      () => verifyInclusion(6n, 13n, tree[6]!, [Buffer.alloc(31), ...proof.slice(1)], treeRoot),
      () => verifyInclusion(6n, 13n, tree[6]!, proof, Buffer.alloc(31)),
    ]
    for (const attempt of bad) {
      let thrown: unknown
      try {
        attempt()
      } catch (error) {
        thrown = error
      }
      expect(thrown).toMatchObject({ name: 'VerifierError', code: 'VERIFIER_INCLUSION_PROOF_INVALID' })
      expect(RekorError.is((thrown as Error).cause, 'REKOR_INCLUSION_PROOF_INVALID')).toBe(true)
    }
  })
})

describe('verifyTlogEntry on rekor-signed SETs and checkpoints', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const logId = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest()
  const log: TrustedLog = {
    baseUrl: 'https://rekor.unit.test',
    logId,
    checkpointKeyId: logId,
    publicKey,
    keyDetails: 'PKIX_ECDSA_P256_SHA_256',
    validFor: { start: 0, end: Number.POSITIVE_INFINITY },
  }
  const bodies = Array.from({ length: 5 }, (_, index) =>
    Buffer.from(JSON.stringify({ apiVersion: '0.0.1', kind: 'hashedrekord', spec: { n: index } })),
  )
  const leaves = bodies.map(leafHash)
  const integratedTime = 1_700_000_000

  function entry(logIndex: bigint, options: { sign?: boolean; checkpoint?: boolean } = {}): TlogEntry {
    const body = bodies[3]!
    const treeRoot = Buffer.from(root(leaves))
    const signedEntryTimestamp =
      options.sign === false
        ? undefined
        : Buffer.from(
            signSignedEntryTimestamp(
              {
                body: body.toString('base64'),
                integratedTime,
                logID: logId.toString('hex'),
                logIndex: Number(logIndex),
              },
              privateKey,
            ),
          )
    const checkpoint =
      options.checkpoint === false
        ? ''
        : signCheckpoint(
            { origin: 'rekor.unit.test - 7', treeSize: 5, rootHash: treeRoot },
            { name: 'rekor.unit.test', privateKey },
          )
    return {
      logIndex,
      logId,
      kind: 'hashedrekord',
      version: '0.0.1',
      integratedTime,
      signedEntryTimestamp,
      inclusionProof: {
        logIndex: 3n,
        rootHash: treeRoot,
        treeSize: 5n,
        hashes: path(3, leaves).map((hash) => Buffer.from(hash)),
        checkpoint,
      },
      canonicalizedBody: body,
    }
  }

  it('verifies SET, checkpoint and proof, and names the leaf hash as the UUID', () => {
    const checks: VerificationCheck[] = []
    const verified = verifyTlogEntry(entry(1003n), [log], checks)
    expect(verified.result.verifiedBy).toEqual(['signed-entry-timestamp', 'inclusion-proof'])
    expect(verified.uuid).toBe(leafHash(bodies[3]!).toString('hex'))
    expect(verified.result.checkpoint).toEqual({ origin: 'rekor.unit.test - 7', treeSize: '5' })
    expect(checks).toEqual([
      'tlog-signed-entry-timestamp',
      'tlog-checkpoint-signature',
      'tlog-inclusion-proof',
    ])
  })

  it('maps a SET over other fields, or a log index rekor cannot encode, to VERIFIER_SET_INVALID', () => {
    const moved = { ...entry(1003n), logIndex: 1004n }
    expect(() => verifyTlogEntry(moved, [log], [])).toThrowError(
      expect.objectContaining({ code: 'VERIFIER_SET_INVALID' }),
    )
    const huge = { ...entry(1003n), logIndex: 2n ** 60n }
    let thrown: unknown
    try {
      verifyTlogEntry(huge, [log], [])
    } catch (error) {
      thrown = error
    }
    expect(thrown).toMatchObject({ name: 'VerifierError', code: 'VERIFIER_SET_INVALID' })
    expect(RekorError.is((thrown as Error).cause, 'REKOR_INVALID_INPUT')).toBe(true)
  })

  it('without a SET, needs the checkpointed proof; a proof leading elsewhere is VERIFIER_INCLUSION_PROOF_INVALID', () => {
    const unsigned = entry(1003n, { sign: false })
    expect(verifyTlogEntry(unsigned, [log], []).result.verifiedBy).toEqual(['inclusion-proof'])
    const wrongLeaf = { ...unsigned, canonicalizedBody: bodies[2]! }
    expect(() => verifyTlogEntry(wrongLeaf, [log], [])).toThrowError(
      expect.objectContaining({ code: 'VERIFIER_INCLUSION_PROOF_INVALID' }),
    )
    // parseBundle refuses a proof without checkpoint; an empty one that got here still proves nothing.
    const bare = entry(1003n, { sign: false, checkpoint: false })
    expect(() => verifyTlogEntry(bare, [log], [])).toThrowError(
      expect.objectContaining({ code: 'VERIFIER_CHECKPOINT_SIGNATURE_INVALID' }),
    )
  })
})
