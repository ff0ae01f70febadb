import { fromHex, sha256, toHex, utf8 } from '@certus-trust/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createInclusionProofChecker,
  EMPTY_TREE_ROOT,
  hashChildren,
  hashLeaf,
  rootFromInclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './merkle.js'

// Naive reference implementation straight from RFC 6962 §2.1, used to generate expected roots and proofs.
function largestPowerOfTwoBelow(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256()
  if (leaves.length === 1) return hashLeaf(leaves[0]!)
  const k = largestPowerOfTwoBelow(leaves.length)
  return hashChildren(mth(leaves.slice(0, k)), mth(leaves.slice(k)))
}
function path(m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return []
  const k = largestPowerOfTwoBelow(leaves.length)
  return m < k
    ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))]
}
function subproof(m: number, leaves: Uint8Array[], complete: boolean): Uint8Array[] {
  const n = leaves.length
  if (m === n) return complete ? [] : [mth(leaves)]
  const k = largestPowerOfTwoBelow(n)
  return m <= k
    ? [...subproof(m, leaves.slice(0, k), complete), mth(leaves.slice(k))]
    : [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))]
}
const consistency = (m: number, leaves: Uint8Array[]) => subproof(m, leaves, true)
const makeLeaves = (n: number) => Array.from({ length: n }, (_, index) => utf8(`leaf-${index}`))

// transparency-dev/merkle testonly constants: the 8 RFC 6962 test leaves and their roots.
const TM_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((hex) => fromHex(hex)!)
const TM_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]

describe('RFC 6962 hashing', () => {
  it('matches the published roots for sizes 0..8', () => {
    expect(toHex(EMPTY_TREE_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    for (let size = 1; size <= 8; size++)
      expect(toHex(mth(TM_LEAVES.slice(0, size)))).toBe(TM_ROOTS[size - 1])
  })
  it('prefixes leaves and nodes differently', () => {
    const data = new Uint8Array(64)
    expect(toHex(hashLeaf(data))).not.toBe(toHex(hashChildren(data.slice(0, 32), data.slice(32))))
  })
})

// Published vectors from transparency-dev/merkle testdata/{inclusion,consistency} (base64, as in the files).
const b = (value: string) => new Uint8Array(Buffer.from(value, 'base64'))
const TM_INCLUSION_PROOF = [
  'lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=',
  'Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=',
  'a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=',
]
const TM_INCLUSION = {
  leafIdx: 0,
  treeSize: 8,
  root: 'XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=',
  leafHash: 'bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=',
  proof: TM_INCLUSION_PROOF,
}
const TM_INCLUSION_VECTORS: Array<[string, typeof TM_INCLUSION, boolean]> = [
  ['inclusion/1/happy-path', TM_INCLUSION, false],
  ['inclusion/1/treeSize-div-2', { ...TM_INCLUSION, treeSize: 4 }, true],
  ['inclusion/1/leafIdx-+-1', { ...TM_INCLUSION, leafIdx: 1 }, true],
  [
    'inclusion/1/modified-proof[1]-bit-3',
    {
      ...TM_INCLUSION,
      proof: [TM_INCLUSION_PROOF[0]!, 'Vwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=', TM_INCLUSION_PROOF[2]!],
    },
    true,
  ],
  ['inclusion/1/trailing-garbage', { ...TM_INCLUSION, proof: [...TM_INCLUSION_PROOF, ''] }, true],
]
const TM_CONSISTENCY_PROOF = [
  'DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=',
  'yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=',
  '037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=',
]
const TM_CONSISTENCY = {
  size1: 6,
  size2: 8,
  root1: 'duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=',
  root2: 'XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=',
  proof: TM_CONSISTENCY_PROOF,
}
const TM_CONSISTENCY_VECTORS: Array<[string, typeof TM_CONSISTENCY, boolean]> = [
  ['consistency/2/happy-path', TM_CONSISTENCY, false],
  [
    'consistency/3/happy-path',
    {
      size1: 2,
      size2: 5,
      root1: '+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=',
      root2: 'Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=',
      proof: ['Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=', 'vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms='],
    },
    false,
  ],
  [
    'consistency/2/modified-proof[1]-bit-4',
    {
      ...TM_CONSISTENCY,
      proof: [
        TM_CONSISTENCY_PROOF[0]!,
        '2oVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=',
        TM_CONSISTENCY_PROOF[2]!,
      ],
    },
    true,
  ],
  [
    'consistency/2/swapped-roots',
    { ...TM_CONSISTENCY, root1: TM_CONSISTENCY.root2, root2: TM_CONSISTENCY.root1 },
    true,
  ],
  ['consistency/2/size1-+-1', { ...TM_CONSISTENCY, size1: 7 }, true],
  ['consistency/2/truncated-proof', { ...TM_CONSISTENCY, proof: TM_CONSISTENCY_PROOF.slice(0, 2) }, true],
]

describe('published transparency-dev/merkle vectors', () => {
  it.each(TM_INCLUSION_VECTORS)('%s (wantErr=%s)', (_name, vector, wantErr) => {
    const run = () =>
      verifyInclusionProof({
        leafIndex: vector.leafIdx,
        treeSize: vector.treeSize,
        leafHash: b(vector.leafHash),
        proof: vector.proof.map(b),
        rootHash: b(vector.root),
      })
    if (wantErr) expect(run).toThrowError(expect.objectContaining({ code: 'REKOR_INCLUSION_PROOF_INVALID' }))
    else expect(run).not.toThrow()
  })
  it.each(TM_CONSISTENCY_VECTORS)('%s (wantErr=%s)', (_name, vector, wantErr) => {
    const run = () =>
      verifyConsistencyProof({
        oldSize: vector.size1,
        newSize: vector.size2,
        oldRoot: b(vector.root1),
        newRoot: b(vector.root2),
        proof: vector.proof.map(b),
      })
    if (wantErr)
      expect(run).toThrowError(expect.objectContaining({ code: 'REKOR_CONSISTENCY_PROOF_INVALID' }))
    else expect(run).not.toThrow()
  })
})

describe('inclusion proofs', () => {
  it('verifies every leaf of every tree up to 40 leaves', () => {
    for (let size = 1; size <= 40; size++) {
      const leaves = makeLeaves(size)
      const rootHash = mth(leaves)
      for (let index = 0; index < size; index++) {
        const input = {
          leafIndex: index,
          treeSize: size,
          leafHash: hashLeaf(leaves[index]!),
          proof: path(index, leaves),
          rootHash,
        }
        expect(() => verifyInclusionProof(input)).not.toThrow()
        expect(toHex(rootFromInclusionProof(input))).toBe(toHex(rootHash))
      }
    }
  })
  it('accepts bigint sizes (beyond 2^53 indexes are structurally fine)', () => {
    const leaves = makeLeaves(5)
    expect(() =>
      verifyInclusionProof({
        leafIndex: 3n,
        treeSize: 5n,
        leafHash: hashLeaf(leaves[3]!),
        proof: path(3, leaves),
        rootHash: mth(leaves),
      }),
    ).not.toThrow()
  })

  const leaves = makeLeaves(7)
  const good = {
    leafIndex: 2,
    treeSize: 7,
    leafHash: hashLeaf(leaves[2]!),
    proof: path(2, leaves),
    rootHash: mth(leaves),
  }
  it.each([
    ['index out of range', { ...good, leafIndex: 7 }],
    ['negative index', { ...good, leafIndex: -1 }],
    ['fractional index', { ...good, leafIndex: 1.5 }],
    // Sizes 6 and 8 give index 2 the same proof shape, so only the (signed) root can tell them apart.
    ['wrong tree size (smaller)', { ...good, treeSize: 3 }],
    ['wrong tree size (larger)', { ...good, treeSize: 9 }],
    ['zero tree size', { ...good, treeSize: 0 }],
    ['wrong index', { ...good, leafIndex: 3 }],
    [
      'tampered sibling',
      { ...good, proof: good.proof.map((hash, index) => (index === 1 ? sha256(hash) : hash)) },
    ],
    ['extra hash', { ...good, proof: [...good.proof, good.rootHash] }],
    ['missing hash', { ...good, proof: good.proof.slice(0, -1) }],
    ['short hash', { ...good, proof: [good.proof[0]!.slice(0, 31), ...good.proof.slice(1)] }],
    ['wrong leaf', { ...good, leafHash: hashLeaf(leaves[3]!) }],
    ['wrong root', { ...good, rootHash: mth(leaves.slice(0, 6)) }],
    ['reordered proof', { ...good, proof: [...good.proof].reverse() }],
  ])('fails: %s', (_label, input) => {
    expect(() => verifyInclusionProof(input)).toThrowError(
      expect.objectContaining({ code: 'REKOR_INCLUSION_PROOF_INVALID' }),
    )
  })
})

describe('consistency proofs', () => {
  it('verifies every (m, n) pair up to 33 leaves', () => {
    const all = makeLeaves(33)
    for (let n = 1; n <= 33; n++) {
      const newRoot = mth(all.slice(0, n))
      for (let m = 1; m <= n; m++) {
        const input = {
          oldSize: m,
          newSize: n,
          oldRoot: mth(all.slice(0, m)),
          newRoot,
          proof: consistency(m, all.slice(0, n)),
        }
        expect(() => verifyConsistencyProof(input), `${m} -> ${n}`).not.toThrow()
      }
    }
  })
  it('accepts the empty old tree only with an empty proof and the empty root', () => {
    const leaves = makeLeaves(3)
    expect(() =>
      verifyConsistencyProof({
        oldSize: 0,
        newSize: 3,
        oldRoot: EMPTY_TREE_ROOT,
        newRoot: mth(leaves),
        proof: [],
      }),
    ).not.toThrow()
    expect(() =>
      verifyConsistencyProof({
        oldSize: 0,
        newSize: 3,
        oldRoot: mth(leaves),
        newRoot: mth(leaves),
        proof: [],
      }),
    ).toThrow()
    expect(() =>
      verifyConsistencyProof({
        oldSize: 0,
        newSize: 3,
        oldRoot: EMPTY_TREE_ROOT,
        newRoot: mth(leaves),
        proof: [EMPTY_TREE_ROOT],
      }),
    ).toThrow()
  })

  const all = makeLeaves(11)
  const good = {
    oldSize: 6,
    newSize: 11,
    oldRoot: mth(all.slice(0, 6)),
    newRoot: mth(all),
    proof: consistency(6, all),
  }
  it.each([
    ['old larger than new', { ...good, oldSize: 12 }],
    ['wrong old size', { ...good, oldSize: 5 }],
    ['wrong new size', { ...good, newSize: 8 }],
    ['wrong old root', { ...good, oldRoot: mth(all.slice(0, 5)) }],
    ['wrong new root', { ...good, newRoot: mth(all.slice(0, 10)) }],
    [
      'tampered hash',
      { ...good, proof: good.proof.map((hash, index) => (index === 0 ? sha256(hash) : hash)) },
    ],
    ['extra hash', { ...good, proof: [...good.proof, good.newRoot] }],
    ['missing hash', { ...good, proof: good.proof.slice(0, -1) }],
    ['empty proof', { ...good, proof: [] }],
    ['equal sizes with a proof', { ...good, oldSize: 11, oldRoot: good.newRoot }],
    ['equal sizes, different roots', { ...good, oldSize: 11, proof: [] }],
    ['negative size', { ...good, oldSize: -1 }],
  ])('fails: %s', (_label, input) => {
    expect(() => verifyConsistencyProof(input)).toThrowError(
      expect.objectContaining({ code: 'REKOR_CONSISTENCY_PROOF_INVALID' }),
    )
  })
})

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice()
  copy[bit >> 3]! ^= 1 << (bit & 7)
  return copy
}

describe('property: proofs from random trees', () => {
  const tree = fc.integer({ min: 1, max: 70 }).chain((size) =>
    fc.record({
      size: fc.constant(size),
      index: fc.integer({ min: 0, max: size - 1 }),
      seed: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
  )
  const leavesFor = (size: number, seed: Uint8Array) =>
    Array.from({ length: size }, (_, index) => new Uint8Array([...seed, index & 255, index >> 8]))
  const proofInput = (leaves: Uint8Array[], index: number) => ({
    leafIndex: index,
    treeSize: leaves.length,
    leafHash: hashLeaf(leaves[index]!),
    proof: path(index, leaves),
    rootHash: mth(leaves),
  })
  type ProofInput = ReturnType<typeof proofInput>
  /** One bit flipped in the leaf hash, the root or one proof hash, as `pick` chooses. */
  const tamper = (input: ProofInput, pick: number): ProofInput => {
    const target = pick % (2 + input.proof.length)
    const bit = (pick >> 4) % 256
    if (target === 0) return { ...input, leafHash: flipBit(input.leafHash, bit) }
    if (target === 1) return { ...input, rootHash: flipBit(input.rootHash, bit) }
    return {
      ...input,
      proof: input.proof.map((hash, position) => (position === target - 2 ? flipBit(hash, bit) : hash)),
    }
  }

  it('every inclusion proof verifies, and any single-bit flip in leaf, root or proof fails', () => {
    fc.assert(
      fc.property(tree, fc.nat(), ({ size, index, seed }, pick) => {
        const input = proofInput(leavesFor(size, seed), index)
        verifyInclusionProof(input)
        expect(() => verifyInclusionProof(tamper(input, pick))).toThrow()
      }),
      { numRuns: 300 },
    )
  })

  it('a remembering checker agrees with verifyInclusionProof on runs of proofs, tampered ones among them', () => {
    const verdict = (check: () => void) => {
      try {
        check()
        return true
      } catch {
        return false
      }
    }
    // A run mixes proofs of two trees (so the remembered proof is sometimes of another tree), valid and tampered.
    const step = fc.record({ tree: fc.boolean(), index: fc.nat(), tamper: fc.nat(), flip: fc.boolean() })
    fc.assert(
      fc.property(tree, tree, fc.array(step, { minLength: 1, maxLength: 40 }), (a, b, steps) => {
        const trees = [leavesFor(a.size, a.seed), leavesFor(b.size, b.seed)]
        const checkInclusion = createInclusionProofChecker()
        for (const { tree: second, index, tamper: tamperPick, flip } of steps) {
          const leaves = trees[second ? 1 : 0]!
          const input = proofInput(leaves, index % leaves.length)
          const used = flip ? tamper(input, tamperPick) : input
          expect(verdict(() => checkInclusion(used))).toBe(verdict(() => verifyInclusionProof(used)))
        }
      }),
      { numRuns: 300 },
    )
  })

  it('a remembering checker is not fooled by a caller changing an accepted proof afterwards', () => {
    const leaves = leavesFor(16, new Uint8Array([7]))
    const rootHash = mth(leaves)
    const checkInclusion = createInclusionProofChecker()
    const first = {
      leafIndex: 4,
      treeSize: 16,
      leafHash: hashLeaf(leaves[4]!),
      proof: path(4, leaves),
      rootHash,
    }
    checkInclusion(first)
    // Forge leaf 5's proof from the remembered one: a wrong upper hash, copied into the accepted proof's arrays too.
    const forged = path(5, leaves)
    forged[3] = flipBit(forged[3]!, 1)
    first.proof[3]!.set(forged[3]!)
    const input = { leafIndex: 5, treeSize: 16, leafHash: hashLeaf(leaves[5]!), proof: forged, rootHash }
    expect(() => checkInclusion(input)).toThrow(/does not lead to the expected root/)
  })

  it('every consistency proof verifies, and any single-bit flip fails', () => {
    const pair = fc
      .integer({ min: 1, max: 70 })
      .chain((n) => fc.record({ n: fc.constant(n), m: fc.integer({ min: 1, max: n }) }))
    fc.assert(
      fc.property(pair, fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.nat(), ({ m, n }, seed, pick) => {
        const leaves = leavesFor(n, seed)
        const input = {
          oldSize: m,
          newSize: n,
          oldRoot: mth(leaves.slice(0, m)),
          newRoot: mth(leaves),
          proof: consistency(m, leaves),
        }
        verifyConsistencyProof(input)
        const targets = 2 + input.proof.length
        const target = pick % targets
        const bit = (pick >> 4) % 256
        const tampered =
          target === 0
            ? { ...input, oldRoot: flipBit(input.oldRoot, bit) }
            : target === 1
              ? { ...input, newRoot: flipBit(input.newRoot, bit) }
              : {
                  ...input,
                  proof: input.proof.map((hash, position) =>
                    position === target - 2 ? flipBit(hash, bit) : hash,
                  ),
                }
        expect(() => verifyConsistencyProof(tampered)).toThrow()
      }),
      { numRuns: 300 },
    )
  })
})
