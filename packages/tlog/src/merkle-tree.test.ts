import { createHash } from 'node:crypto'
import {
  hashChildren,
  hashLeaf,
  verifyConsistencyProof,
  verifyInclusionProof,
} from '@certus-trust/log-protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CompactRange,
  consistencySegments,
  hashSegments,
  inclusionSegments,
  nodeKey,
  nodesForSegments,
  segmentNodes,
} from './merkle-tree.js'

// Reference RFC 6962 MTH, straight from the definition (recursive, O(n)): the oracle the tree code must match.
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return new Uint8Array(createHash('sha256').digest())
  if (leaves.length === 1) return leaves[0]!
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return hashChildren(mth(leaves.slice(0, k)), mth(leaves.slice(k)))
}

const leafHashes = (n: number) =>
  Array.from({ length: n }, (_, index) => hashLeaf(new TextEncoder().encode(`leaf-${index}`)))

function buildTree(leaves: Uint8Array[], batches: number[]) {
  let range = CompactRange.empty()
  const nodes = new Map<string, Uint8Array>()
  let position = 0
  for (const size of [...batches, leaves.length]) {
    const end = Math.min(leaves.length, position + size)
    const { range: next, created } = range.append(leaves.slice(position, end))
    for (const node of created) nodes.set(nodeKey(node.level, node.index), node.hash)
    range = next
    position = end
    if (position >= leaves.length) break
  }
  return { range, nodes }
}

describe('merkle tree over perfect subtrees', () => {
  it('matches RFC 6962 test vector roots for sizes 0-8', () => {
    // transparency-dev/merkle testonly: leaves are these inputs; root of size 8 is 5dc9da79….
    const inputs = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ]
    const leaves = inputs.map((hex) => hashLeaf(new Uint8Array(Buffer.from(hex, 'hex'))))
    const { range } = buildTree(leaves, [3, 1, 2])
    expect(Buffer.from(range.root()).toString('hex')).toBe(
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    )
    expect(Buffer.from(CompactRange.empty().root()).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
  })

  it('segment decomposition uses at most log2(n)+1 nodes', () => {
    expect(segmentNodes(0, 13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ])
    expect(nodesForSegments(inclusionSegments(5, 1_000_000)).length).toBeLessThanOrEqual(2 * 20)
  })

  it('appends in any batching give the reference root, and every proof verifies', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 90 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { maxLength: 12 }),
        (n, batches) => {
          const leaves = leafHashes(n)
          const { range, nodes } = buildTree(leaves, batches)
          expect(range.size).toBe(n)
          expect(range.root()).toEqual(mth(leaves))
          const lookup = (level: number, index: number) => nodes.get(nodeKey(level, index))
          // Every stored perfect subtree equals the reference hash of its leaves.
          for (const [key, hash] of nodes) {
            const [level, index] = key.split(':').map(Number) as [number, number]
            expect(hash).toEqual(mth(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level)))
          }
          for (let size = 1; size <= n; size++) {
            const root = mth(leaves.slice(0, size))
            for (const index of new Set([0, size - 1, Math.floor(size / 2)])) {
              const proof = hashSegments(inclusionSegments(index, size), lookup)
              verifyInclusionProof({
                leafIndex: index,
                treeSize: size,
                leafHash: leaves[index]!,
                proof,
                rootHash: root,
              })
            }
            for (const oldSize of new Set([1, Math.max(1, size - 1), Math.ceil(size / 3)])) {
              const proof = hashSegments(consistencySegments(oldSize, size), lookup)
              verifyConsistencyProof({
                oldSize,
                newSize: size,
                oldRoot: mth(leaves.slice(0, oldSize)),
                newRoot: root,
                proof,
              })
            }
          }
        },
      ),
      { numRuns: 40 },
    )
  })

  it('a wrong stored node makes proofs fail verification', () => {
    const leaves = leafHashes(11)
    const { nodes } = buildTree(leaves, [4])
    nodes.set(nodeKey(3, 0), new Uint8Array(32))
    const proof = hashSegments(inclusionSegments(9, 11), (level, index) => nodes.get(nodeKey(level, index)))
    expect(() =>
      verifyInclusionProof({
        leafIndex: 9,
        treeSize: 11,
        leafHash: leaves[9]!,
        proof,
        rootHash: mth(leaves),
      }),
    ).toThrow(/inclusion proof/)
  })
})
